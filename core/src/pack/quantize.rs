//! Weight quantization for packs, with burn's own quantization.
//!
//! - `int8`: every matrix (rank ≥ 2) is quantized by burn to symmetric 8-bit integers (burn's
//!   `Q8S`) with one f32 scale per block of a row ([`int8_scheme`]). Per-block rather than
//!   per-tensor scales: a DKT input table mixes rows of very different magnitude (frequent and
//!   rare skills), and one scale for all of them costs AUC.
//!   Small vectors (biases, layer-norm gains: under [`MIN_QUANTIZED`] values) stay f32: they are
//!   a fraction of a percent of the parameters and every logit goes through them. Large vectors
//!   (a problem-aware DKT's per-problem difficulties and scales, one per problem) are quantized
//!   like matrices: left in f32 they made such a pack 42% of its f32 size.
//! - `f16`: matrices cast to half precision by burn.
//! - `none`: f32 as trained.
//!
//! On load every parameter is turned back into f32 ([`dequantize`]): the CPU kernels and the
//! WebGPU path both compute in f32, so the pack is smaller to ship and to cache, not a different
//! model at run time.

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::quantization::{QuantScheme, QuantStore, QuantValue, ScaleDtype};
use burn::tensor::{DType, FloatDType, Tensor};
use serde::{Deserialize, Serialize};

/// Tensors with fewer values stay in f32.
pub const MIN_QUANTIZED: usize = 1024;
/// The most values per int8 scale (burn's block sizes are `u8`s and must divide the tensor).
pub const MAX_INT8_BLOCK: usize = 128;
/// Blocks smaller than this make the scales cost more than the int8 saves; such tensors get one
/// scale per column block or, failing that, per tensor.
const MIN_INT8_BLOCK: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Quantization {
    None,
    F16,
    Int8,
}

impl Quantization {
    pub fn as_str(self) -> &'static str {
        match self {
            Quantization::None => "none",
            Quantization::F16 => "f16",
            Quantization::Int8 => "int8",
        }
    }
}

fn largest_divisor_up_to(n: usize, max: usize) -> usize {
    (1..=max.min(n)).rev().find(|d| n.is_multiple_of(*d)).unwrap_or(1)
}

/// Burn's int8 scheme for a tensor of `dims`: blocks along a row where the row length has a
/// divisor in `[MIN_INT8_BLOCK, MAX_INT8_BLOCK]` (burn requires blocks to tile the tensor
/// exactly), else along a column, else one scale for the tensor.
pub fn int8_scheme(dims: &[usize]) -> QuantScheme {
    let base = QuantScheme::default().with_value(QuantValue::Q8S).with_store(QuantStore::Native);
    let rank = dims.len();
    let (rows, cols) = (dims[..rank - 1].iter().product::<usize>(), dims[rank - 1]);
    let along_row = largest_divisor_up_to(cols, MAX_INT8_BLOCK);
    let along_col = if rank == 2 { largest_divisor_up_to(rows, MAX_INT8_BLOCK) } else { 1 };
    let mut block = vec![1u8; rank];
    if along_row >= MIN_INT8_BLOCK {
        block[rank - 1] = along_row as u8;
    } else if along_col >= MIN_INT8_BLOCK {
        block[0] = along_col as u8;
    } else {
        return base.per_tensor(ScaleDtype::F32);
    }
    base.per_block(block, ScaleDtype::F32)
}

struct Quantize(Quantization);

impl ModuleMapper for Quantize {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if D < 2 && param.val().shape().num_elements() < MIN_QUANTIZED {
            return param;
        }
        match self.0 {
            Quantization::None => param,
            Quantization::F16 => param.map(|t| t.cast(FloatDType::F16)),
            Quantization::Int8 => param.map(|t| {
                let scheme = int8_scheme(t.dims().as_slice());
                t.quantize_dynamic(&scheme)
            }),
        }
    }
}

struct Dequantize;

impl ModuleMapper for Dequantize {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.map(|t| match t.dtype() {
            DType::F32 => t,
            DType::QFloat(_) => t.dequantize(),
            _ => t.cast(FloatDType::F32),
        })
    }
}

pub fn quantize<M: Module>(module: M, q: Quantization) -> M {
    module.map(&mut Quantize(q))
}

/// Every parameter of `module` in f32.
pub fn dequantize<M: Module>(module: M) -> M {
    module.map(&mut Dequantize)
}
