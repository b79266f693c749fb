//! Choosing the burn backend a trainer runs on, at run time.
//!
//! burn 0.22 marks NdArray deprecated in favour of Flex; both are kept because which one is
//! faster for these small recurrent shapes is measured (`classlens bench dkt --backend ...`),
//! not assumed. With the `wgpu-train` feature, burn's own wgpu runtime (Vulkan, Metal, DX12, or
//! Mesa's lavapipe on a machine without a GPU) trains the same modules: classlens writes no GPU
//! training code of its own, the backend is a value in the run's config like the CPU ones.

use burn::tensor::Device;

/// Which burn backend a trainer runs on (a run's `backend` setting; `"ndarray"`, `"flex"` or,
/// in builds with the `wgpu-train` feature, `"wgpu"` in its config.json). A build without the
/// feature refuses a config naming `"wgpu"` when it is read (serde's unknown-variant error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BurnBackend {
    Ndarray,
    Flex,
    /// burn's wgpu runtime on the default adapter (`CUBECL_WGPU_DEFAULT_DEVICE` picks another).
    #[cfg(feature = "wgpu-train")]
    Wgpu,
}

impl BurnBackend {
    pub fn device(self) -> Device {
        match self {
            #[allow(deprecated)]
            BurnBackend::Ndarray => Device::ndarray(),
            BurnBackend::Flex => Device::flex(),
            #[cfg(feature = "wgpu-train")]
            BurnBackend::Wgpu => Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
        }
    }
}

/// Draws every parameter's initial value now. burn initialises a parameter lazily, on the
/// device and from the generator of its first use; a model that is forked or shared between
/// threads before that use would draw its weights in an order that depends on who comes first.
pub fn draw_initial_weights<M: burn::module::Module>(model: &M) {
    struct Draw;
    impl burn::module::ModuleVisitor for Draw {
        fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<burn::tensor::Tensor<D>>) {
            let _ = param.val();
        }
        fn visit_int<const D: usize>(&mut self, param: &burn::module::Param<burn::tensor::Tensor<D, burn::tensor::Int>>) {
            let _ = param.val();
        }
    }
    model.visit(&mut Draw);
}

/// The CPU device used to hold weights when they are saved, loaded or checked against the
/// reference graph: NdArray, the backend the brief names for CPU inference.
pub fn reference_device() -> Device {
    BurnBackend::Ndarray.device()
}

/// burn seeds one generator per device kind for the whole process: tests that train (and so
/// reseed it) take turns through this lock, or one test's seeding would leak into another's
/// dropout and initialisation.
#[cfg(test)]
pub(crate) static SEEDING: std::sync::Mutex<()> = std::sync::Mutex::new(());
