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
    /// burn's CUDA runtime on the first NVIDIA GPU (`cuda-train` feature).
    #[cfg(feature = "cuda-train")]
    Cuda,
}

impl BurnBackend {
    pub fn device(self) -> Device {
        match self {
            #[allow(deprecated)]
            BurnBackend::Ndarray => Device::ndarray(),
            BurnBackend::Flex => Device::flex(),
            #[cfg(feature = "wgpu-train")]
            BurnBackend::Wgpu => Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
            #[cfg(feature = "cuda-train")]
            BurnBackend::Cuda => Device::cuda(0),
        }
    }

    /// The devices a data-parallel run spreads each step over (`--devices n`): the backend's one
    /// device when `n` is 1; on wgpu, the first `n` discrete GPUs the Vulkan driver lists
    /// (burn's `DiscreteGpu(i)`). The CPU backends have one device each (`--workers` spreads a
    /// step over cores instead), and asking for more GPUs than there are is an error listing
    /// what there is. On CUDA, the first `n` GPUs the driver lists (checked for `n` = 1 too:
    /// burn's CUDA runtime panics on first use where there is no driver).
    pub fn devices(self, n: usize) -> Result<Vec<Device>, String> {
        match self {
            BurnBackend::Ndarray | BurnBackend::Flex if n <= 1 => Ok(vec![self.device()]),
            BurnBackend::Ndarray | BurnBackend::Flex => {
                Err(format!("--devices {n}: a CPU backend is one device; use --workers {n} to spread each step over cores, or --device wgpu"))
            }
            #[cfg(feature = "wgpu-train")]
            BurnBackend::Wgpu if n <= 1 => Ok(vec![self.device()]),
            #[cfg(feature = "wgpu-train")]
            BurnBackend::Wgpu => {
                let adapters = futures_executor::block_on(async {
                    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
                        backends: wgpu::Backends::VULKAN,
                        ..wgpu::InstanceDescriptor::new_without_display_handle()
                    });
                    instance.enumerate_adapters(wgpu::Backends::VULKAN).await.into_iter().map(|a| a.get_info()).collect::<Vec<_>>()
                });
                let discrete = adapters.iter().filter(|a| a.device_type == wgpu::DeviceType::DiscreteGpu).count();
                if discrete < n {
                    let seen: Vec<String> = adapters.iter().map(|a| format!("{} ({:?})", a.name, a.device_type)).collect();
                    return Err(format!(
                        "--devices {n} needs {n} discrete GPUs; the Vulkan driver lists {discrete} among: {}",
                        if seen.is_empty() { "none".into() } else { seen.join(", ") }
                    ));
                }
                Ok((0..n).map(|i| Device::wgpu(burn::tensor::DeviceKind::DiscreteGpu(i))).collect())
            }
            #[cfg(feature = "cuda-train")]
            BurnBackend::Cuda => {
                let (want, found) = (n.max(1), Device::enumerate(burn::tensor::DeviceType::Cuda));
                if found.len() < want {
                    return Err(format!(
                        "--device cuda: {want} CUDA GPU(s) wanted, the NVIDIA driver lists {} (none where no driver is installed)",
                        found.len()
                    ));
                }
                Ok(found.into_iter().take(want).collect())
            }
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
