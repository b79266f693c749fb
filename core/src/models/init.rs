//! Seeded parameter initialisation that gives the same weights on every backend and platform
//! (burn's own random init depends on the backend's generator).

use burn::module::Param;
use burn::tensor::{Device, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A deterministic stream of initial values.
pub struct Init(ChaCha8Rng);

impl Init {
    pub fn new(seed: u64) -> Self {
        Self(ChaCha8Rng::seed_from_u64(seed))
    }

    /// Uniform in `[-bound, bound]`, PyTorch's default for LSTM and linear layers.
    pub fn uniform(&mut self, n: usize, bound: f32) -> Vec<f32> {
        (0..n).map(|_| self.0.random_range(-bound..=bound)).collect()
    }

    /// Standard normal (Box–Muller), PyTorch's default for embeddings.
    pub fn normal(&mut self, n: usize) -> Vec<f32> {
        (0..n)
            .map(|_| {
                // 1 − u lies in (0, 1], so the logarithm is finite.
                let (u, v): (f64, f64) = (self.0.random(), self.0.random());
                ((-2.0 * (1.0 - u).ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
            })
            .collect()
    }

    pub fn param2(&mut self, shape: [usize; 2], bound: f32, device: &Device) -> Param<Tensor<2>> {
        let v = self.uniform(shape[0] * shape[1], bound);
        Param::from_tensor(Tensor::from_data(TensorData::new(v, shape), device))
    }

    pub fn param1(&mut self, n: usize, bound: f32, device: &Device) -> Param<Tensor<1>> {
        let v = self.uniform(n, bound);
        Param::from_tensor(Tensor::from_data(TensorData::new(v, [n]), device))
    }
}
