//! Choosing a CPU backend at run time.
//!
//! burn 0.22 marks NdArray deprecated in favour of Flex; both are kept because which one is
//! faster for these small recurrent shapes is measured (`classlens bench dkt --backend ...`),
//! not assumed.

use burn::tensor::Device;

/// Which CPU backend burn runs on (a trainer's `backend` setting; `"ndarray"` or `"flex"` in a
/// run's config.json).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CpuBackend {
    Ndarray,
    Flex,
}

impl CpuBackend {
    pub fn device(self) -> Device {
        match self {
            #[allow(deprecated)]
            CpuBackend::Ndarray => Device::ndarray(),
            CpuBackend::Flex => Device::flex(),
        }
    }
}

/// The CPU device used to hold weights when they are saved, loaded or checked against the
/// reference graph: NdArray, the backend the brief names for CPU inference.
pub fn reference_device() -> Device {
    CpuBackend::Ndarray.device()
}

/// burn seeds one generator per device kind for the whole process: tests that train (and so
/// reseed it) take turns through this lock, or one test's seeding would leak into another's
/// dropout and initialisation.
#[cfg(test)]
pub(crate) static SEEDING: std::sync::Mutex<()> = std::sync::Mutex::new(());
