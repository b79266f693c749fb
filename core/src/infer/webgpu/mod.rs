//! The models as hand-written WGSL kernels: DKT ([`dkt`]) and the STUDY / Individual decoder
//! ([`study`]).
//!
//! Why hand-written: through a general tensor backend a small model is hundreds of tiny kernels
//! per call, and in a browser each is a submit the next one waits on (burn's wgpu path spent
//! 8.9 s on a class of 30 on SwiftShader, against 63 ms on CPU-wasm). Here each model is a
//! handful of dispatches with one read back at the end.
//!
//! One WGSL source, two ways to run it: in WebAssembly on the browser's WebGPU, natively on
//! Vulkan through the same `wgpu` calls. The native path is the harness: CI runs the parity
//! tests on Mesa's lavapipe (Vulkan on the CPU, Debian's `mesa-vulkan-drivers`), and a machine
//! with a GPU can time the kernels without a browser (`classlens bench infer --device gpu`).

pub mod dkt;
pub mod study;

pub use dkt::{GpuDkt, MAX_HIDDEN};

/// What the GPU is reached through, for messages.
const API: &str = if cfg!(target_arch = "wasm32") { "WebGPU" } else { "Vulkan" };

#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    #[error("no {API} adapter ({0})")]
    NoAdapter(String),
    #[error("GPU device: {0}")]
    Device(String),
    #[error("hidden size {0} is above the {MAX_HIDDEN} one workgroup holds; use the CPU path")]
    TooWide(usize),
    #[error("this model does not fit the GPU kernels: {0}; use the CPU path")]
    Unsupported(String),
    #[error("reading results back from the GPU failed")]
    Readback,
}

/// A device and queue, and what the adapter is, in words (for the header and the benches).
#[derive(Clone)]
pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter: String,
    /// A software adapter: the browser's fallback (`GPUAdapterInfo.isFallbackAdapter`, which wgpu
    /// reports as a CPU device; SwiftShader), or lavapipe natively. On one, the CPU path is
    /// faster (BENCHMARKS.md), so the dashboard uses the CPU unless the teacher asks otherwise.
    pub software: bool,
}

impl Gpu {
    /// The browser's WebGPU adapter in WebAssembly; natively, the first Vulkan adapter (a real
    /// GPU when there is one, lavapipe otherwise).
    pub async fn request() -> Result<Self, GpuError> {
        let backends = if cfg!(target_arch = "wasm32") { wgpu::Backends::BROWSER_WEBGPU } else { wgpu::Backends::VULKAN };
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor { backends, ..wgpu::InstanceDescriptor::new_without_display_handle() });
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions { power_preference: wgpu::PowerPreference::HighPerformance, ..Default::default() })
            .await
            .map_err(|e| GpuError::NoAdapter(e.to_string()))?;
        let info = adapter.get_info();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor { label: Some("classlens"), ..Default::default() })
            .await
            .map_err(|e| GpuError::Device(e.to_string()))?;
        let name = info.name.to_lowercase();
        let software = info.device_type == wgpu::DeviceType::Cpu || ["swiftshader", "llvmpipe", "lavapipe"].iter().any(|s| name.contains(s));
        let adapter = if cfg!(target_arch = "wasm32") {
            // The browser tells little more than a description (often empty).
            if info.name.is_empty() { "unnamed adapter".to_string() } else { info.name.clone() }
        } else {
            format!("{} ({:?}, {:?}, {})", info.name, info.backend, info.device_type, info.driver)
        };
        Ok(Self { device, queue, adapter, software })
    }
}

/// A compute pipeline from WGSL text (entry point `main`, its layout derived from the shader).
pub(crate) fn pipeline(device: &wgpu::Device, wgsl: String, label: &str) -> wgpu::ComputePipeline {
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some(label), source: wgpu::ShaderSource::Wgsl(wgsl.into()) });
    device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(label),
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    })
}

/// A buffer holding `data`. WebGPU refuses empty bindings, so an empty one holds 8 zero bytes.
pub(crate) fn buffer(device: &wgpu::Device, label: &str, data: &[u8], usage: wgpu::BufferUsages) -> wgpu::Buffer {
    use wgpu::util::DeviceExt;
    let data = if data.is_empty() { &[0u8; 8][..] } else { data };
    device.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some(label), contents: data, usage })
}

/// A buffer of `bytes` (at least 4) a kernel writes; `MAP_READ | COPY_DST` makes it the one
/// results are copied into and read back from.
pub(crate) fn scratch(device: &wgpu::Device, label: &str, bytes: usize, usage: wgpu::BufferUsages) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor { label: Some(label), size: bytes.max(4) as u64, usage, mapped_at_creation: false })
}

/// `buffers` bound at 0, 1, … of `pipeline`'s group 0.
pub(crate) fn bind(device: &wgpu::Device, pipeline: &wgpu::ComputePipeline, buffers: &[&wgpu::Buffer]) -> wgpu::BindGroup {
    let entries: Vec<wgpu::BindGroupEntry> =
        buffers.iter().enumerate().map(|(i, buf)| wgpu::BindGroupEntry { binding: i as u32, resource: buf.as_entire_binding() }).collect();
    device.create_bind_group(&wgpu::BindGroupDescriptor { label: None, layout: &pipeline.get_bind_group_layout(0), entries: &entries })
}

/// The parity tests run on whatever Vulkan adapter there is (lavapipe on CI) and fail without
/// one; `CLASSLENS_SKIP_GPU=1` skips them, saying so, on a machine that cannot have one.
#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) fn gpu_tests_skipped() -> bool {
    let skip = std::env::var("CLASSLENS_SKIP_GPU").is_ok_and(|v| v == "1");
    if skip {
        eprintln!("CLASSLENS_SKIP_GPU=1: GPU parity not checked");
    }
    skip
}

/// Blocks on a GPU future natively (tests, the CLI's bench); in a browser, await it instead.
#[cfg(not(target_arch = "wasm32"))]
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    futures_executor::block_on(f)
}

/// Maps a `MAP_READ` buffer and reads it as f32s.
pub(crate) async fn read_f32(device: &wgpu::Device, staging: &wgpu::Buffer) -> Result<Vec<f32>, GpuError> {
    let (tx, rx) = futures_channel::oneshot::channel();
    staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    // Natively the callback runs inside `poll`; in a browser `poll` does nothing and the
    // callback comes from the event loop.
    device.poll(wgpu::PollType::Wait { submission_index: None, timeout: None }).map_err(|e| GpuError::Device(e.to_string()))?;
    rx.await.map_err(|_| GpuError::Readback)?.map_err(|_| GpuError::Readback)?;
    let values = {
        let view = staging.slice(..).get_mapped_range().map_err(|_| GpuError::Readback)?;
        // Mapped ranges are aligned to `wgpu::MAP_ALIGNMENT` (8 bytes).
        bytemuck::try_cast_slice::<u8, f32>(&view).map_err(|_| GpuError::Readback)?.to_vec()
    };
    staging.unmap();
    Ok(values)
}
