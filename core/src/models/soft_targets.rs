//! The distillation loss of a softmax classifier (Hinton et al., 2015), shared by the STUDY
//! student: the teacher's logits, softened by a temperature, are a target distribution over the
//! whole vocabulary, which says far more than the one title that was read next.

use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::activation::{log_softmax, softmax};
use burn::tensor::{Int, Tensor};

/// `(1 − α) · CE(student, targets) + α · T² · KL(softmax(teacher / T) ‖ softmax(student / T))`,
/// mean over rows. `teacher` carries no gradient (it is built from plain data).
pub fn distillation_loss(student: Tensor<2>, teacher: Tensor<2>, targets: Tensor<1, Int>, temperature: f64, alpha: f64) -> Tensor<1> {
    let hard = CrossEntropyLossConfig::new().init(&student.device()).forward(student.clone(), targets);
    let rows = student.dims()[0].max(1) as f64;
    let p = softmax(teacher.clone() / temperature, 1);
    let log_p = log_softmax(teacher / temperature, 1);
    let log_q = log_softmax(student / temperature, 1);
    let kl = (p * (log_p - log_q)).sum() / rows;
    hard * (1.0 - alpha) + kl * (alpha * temperature * temperature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    #[test]
    fn the_soft_term_vanishes_when_the_student_matches_the_teacher() {
        let device = crate::models::device::reference_device();
        let logits = Tensor::<2>::from_data(TensorData::new(vec![1.0f32, 2.0, 0.5, -1.0, 0.0, 3.0], [2, 3]), &device);
        let other = Tensor::<2>::from_data(TensorData::new(vec![0.0f32, 0.0, 0.0, 2.0, 1.0, -3.0], [2, 3]), &device);
        let targets = Tensor::<1, Int>::from_data(TensorData::new(vec![1i64, 2], [2]), &device);
        let value = |s: Tensor<2>, t: Tensor<2>, alpha: f64| distillation_loss(s, t, targets.clone(), 2.0, alpha).into_scalar::<f32>();
        let hard = value(logits.clone(), logits.clone(), 0.0);
        // Matching the teacher: only the hard term is left, scaled by 1 − α.
        assert!((value(logits.clone(), logits.clone(), 0.5) - 0.5 * hard).abs() < 1e-5);
        // Away from the teacher the KL term is positive.
        assert!(value(other.clone(), logits.clone(), 1.0) > 1e-3);
    }
}
