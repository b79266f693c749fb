//! Schools, classes and students with their latent traits.

use rand_chacha::ChaCha8Rng;

use super::curriculum::weekly_blocks;
use super::sample::{lognormal, normal, stream};
use super::{Class, School, Student, SynthConfig};

pub(crate) const SCHOOL_ID_BASE: u32 = 1;
pub(crate) const CLASS_ID_BASE: u32 = 101;
pub(crate) const TEACHER_ID_BASE: u32 = 5_001;
pub(crate) const STUDENT_ID_BASE: u32 = 70_001;
/// Class sizes draw from their own stream, so uneven sizes leave every other draw in place.
const CLASS_SIZES_STREAM: u64 = 5;

/// Builds the schools, their classes (grade, pace, weekly skill plan) and students. Ability is
/// standard normal plus school and class effects, so classes genuinely differ.
pub(crate) fn build(cfg: &SynthConfig, rng: &mut ChaCha8Rng) -> (Vec<School>, Vec<Class>, Vec<Student>) {
    let n_grades = (cfg.grade_max - cfg.grade_min) as usize + 1;
    let mut schools = Vec::new();
    let mut classes = Vec::new();
    let mut students = Vec::new();
    let mut sizes = stream(cfg.seed, CLASS_SIZES_STREAM);
    for s in 0..cfg.n_schools {
        let school_effect = 0.2 * normal(rng);
        schools.push(School { id: SCHOOL_ID_BASE + s as u32 });
        for _ in 0..cfg.classes_per_school {
            let c = classes.len();
            let class_effect = school_effect + 0.3 * normal(rng);
            let pace = (1.0 + 0.1 * normal(rng)).clamp(0.7, 1.3);
            let grade = cfg.grade_min + (c % n_grades) as u8;
            classes.push(Class {
                id: CLASS_ID_BASE + c as u32,
                school: s,
                grade,
                teacher_id: TEACHER_ID_BASE + c as u32,
                pace,
                weekly_skills: weekly_blocks(cfg, pace),
            });
            let size = if cfg.class_size_spread > 0.0 {
                let spc = cfg.students_per_class as f64;
                lognormal(&mut sizes, spc, cfg.class_size_spread).round().clamp(2.0_f64.min(spc), 4.0 * spc) as usize
            } else {
                cfg.students_per_class
            };
            for _ in 0..size {
                let ability = class_effect + normal(rng);
                students.push(Student {
                    id: STUDENT_ID_BASE + students.len() as u32,
                    class: c,
                    school: s,
                    grade,
                    ability,
                    learning_rate: lognormal(rng, 0.3, 0.25) * (0.2 * ability).exp(),
                    // Grade 6 reads around level 2; stronger students read a bit higher.
                    reading_level: (2.0 + (f64::from(grade) - 6.0) + 0.6 * ability).clamp(1.0, 5.0),
                });
            }
        }
    }
    (schools, classes, students)
}
