//! Behaviour Sequence Transformer (Chen et al. 2019) for next-read suggestions: [`net`] is the
//! model, [`train`] its epoch loop, run directory and hits@n report.

pub mod net;
pub mod train;
