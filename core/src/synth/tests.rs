//! Properties of the generated classroom that the app and the models rely on.

use std::collections::{HashMap, HashSet};

use super::*;

fn files(c: &SynthClassroom) -> Vec<(&'static str, Vec<u8>)> {
    render_files(c).unwrap()
}

fn csv_rows(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(bytes);
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r.records().map(|rec| rec.unwrap().iter().map(str::to_string).collect()).collect();
    (header, rows)
}

fn file<'a>(files: &'a [(&'static str, Vec<u8>)], name: &str) -> &'a [u8] {
    &files.iter().find(|(n, _)| *n == name).unwrap().1
}

#[test]
fn same_seed_same_bytes_different_seed_different_data() {
    let cfg = SynthConfig::small();
    let a = files(&generate(&cfg));
    let dir = tempfile::tempdir().unwrap();
    write_dir(&generate(&cfg), dir.path()).unwrap();
    for (name, bytes) in &a {
        assert_eq!(&std::fs::read(dir.path().join(name)).unwrap(), bytes, "{name} differs for the same seed");
    }
    let b = files(&generate(&SynthConfig { seed: cfg.seed + 1, ..cfg }));
    // student_info and school_info depend only on the config's shape; everything else is drawn.
    for name in [SKILL_BUILDER_FILE, STUDENT_ACTIVITY_FILE, SKILLS_FILE, TITLES_FILE, CONFIG_FILE] {
        assert_ne!(file(&a, name), file(&b, name), "{name} identical across seeds");
    }
}

#[test]
fn skill_builder_file_has_the_raw_assistments_layout() {
    let c = generate(&SynthConfig::small());
    let f = files(&c);
    let bytes = file(&f, SKILL_BUILDER_FILE);
    assert!(bytes.is_ascii());
    let (header, rows) = csv_rows(bytes);
    assert_eq!(header.join(","), SKILL_BUILDER_HEADER.join(","));
    assert_eq!(
        SKILL_BUILDER_HEADER.join(","),
        "order_id,assignment_id,user_id,assistment_id,problem_id,original,correct,attempt_count,\
ms_first_response,tutor_mode,answer_type,sequence_id,student_class_id,position,type,\
base_sequence_id,skill_id,skill_name,teacher_id,school_id,hint_count,hint_total,overlap_time,\
template_id,answer_id,answer_text,first_action,bottom_hint,opportunity,opportunity_original"
    );
    let col = |name: &str| SKILL_BUILDER_HEADER.iter().position(|h| *h == name).unwrap();
    let (order, user, problem, original, correct, ms) =
        (col("order_id"), col("user_id"), col("problem_id"), col("original"), col("correct"), col("ms_first_response"));
    let skills: HashMap<String, String> = c.skills.iter().map(|s| (s.id.to_string(), s.name.clone())).collect();
    let mut last_order = 0u64;
    let mut seen_orders = HashSet::new();
    let mut scaffolds = 0;
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), 30);
        let o: u64 = row[order].parse().unwrap();
        assert!(o >= last_order, "order ids go back in time at row {i}");
        if o == last_order {
            // A multi-skill response: same response, different skill.
            let prev = &rows[i - 1];
            for k in [user, problem, original, correct] {
                assert_eq!(row[k], prev[k]);
            }
            assert_ne!(row[col("skill_id")], prev[col("skill_id")]);
        } else {
            assert!(seen_orders.insert(o), "order id {o} split across non-adjacent rows");
        }
        last_order = o;
        assert_eq!(skills.get(&row[col("skill_id")]), Some(&row[col("skill_name")]), "unknown skill at row {i}");
        assert!(["0", "1"].contains(&row[correct].as_str()));
        let ms: u32 = row[ms].parse().unwrap();
        assert!((500..=600_000).contains(&ms), "implausible ms_first_response {ms}");
        scaffolds += usize::from(row[original] == "0");
    }
    assert_eq!(seen_orders.len(), c.responses.len());
    assert!(rows.len() > c.responses.len(), "some responses should carry two skills");
    assert!(scaffolds > 0, "some wrong answers should lead into scaffolding");
}

#[test]
fn shapes_ids_and_dates_are_consistent() {
    let c = default_classroom();
    assert_eq!(c.classes.len(), 4);
    for (k, class) in c.classes.iter().enumerate() {
        assert_eq!(c.students.iter().filter(|s| s.class == k).count(), 30);
        assert_eq!(class.weekly_skills.len(), 9, "60 days is 9 (partial) weeks");
        assert!(class.weekly_skills.windows(2).all(|w| w[0][0] <= w[1][0]), "classes move forward in the curriculum");
    }
    assert_eq!(c.skills.len(), 20);
    for (i, s) in c.skills.iter().enumerate() {
        assert!(s.prerequisites.iter().all(|&p| p < i), "skill {i} has a later prerequisite");
        assert_eq!(s.prerequisites.is_empty(), i < 3, "skill {i}: only the first three are roots");
        assert!(s.name.is_ascii());
    }
    for p in &c.problems {
        assert!(!p.skills.is_empty() && p.skills.iter().all(|&s| s < c.skills.len()));
    }
    let multi = c.problems.iter().filter(|p| p.scaffold_of.is_none() && p.skills.len() == 2).count() as f64;
    let share = multi / (c.skills.len() * c.config.problems_per_skill) as f64;
    assert!((0.07..0.25).contains(&share), "multi-skill share {share}");

    let f = files(&c);
    let (_, info) = csv_rows(file(&f, STUDENT_INFO_FILE));
    let ids: HashSet<&str> = info.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids.len(), 120);
    let (_, schools) = csv_rows(file(&f, SCHOOL_INFO_FILE));
    let orgs: HashSet<&str> = schools.iter().map(|r| r[0].as_str()).collect();
    assert!(info.iter().all(|r| orgs.contains(r[1].as_str()) && (6..=8).contains(&r[2].parse::<u8>().unwrap())));
    let (_, practice) = csv_rows(file(&f, SKILL_BUILDER_FILE));
    assert!(practice.iter().all(|r| ids.contains(r[2].as_str())), "ASSISTments user ids are the STUDY student ids");

    let (header, reads) = csv_rows(file(&f, STUDENT_ACTIVITY_FILE));
    assert_eq!(header, ["StudentID", "SHLF_NUM", "Date", "Seconds Read"]);
    let titles: HashSet<&str> = c.titles.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(titles.len(), c.titles.len(), "shelf codes are unique");
    let mut last_date: HashMap<&str, i64> = HashMap::new();
    for r in &reads {
        assert!(ids.contains(r[0].as_str()) && titles.contains(r[1].as_str()));
        let d = date::parse(&r[2]).unwrap_or_else(|| panic!("bad date {}", r[2]));
        assert!((c.start_day..c.start_day + 60).contains(&d));
        assert_eq!(date::format(d), r[2]);
        let prev = last_date.insert(r[0].as_str(), d).unwrap_or(i64::MIN);
        assert!(d >= prev, "dates go back for student {}", r[0]);
        assert!((60..=3600).contains(&r[3].parse::<u32>().unwrap()));
    }
    let per_week = reads.len() as f64 / 120.0 / (60.0 / 7.0);
    assert!((2.0..4.5).contains(&per_week), "reads per student-week {per_week}");
    let continuation = c.reads.iter().filter(|r| r.continuation).count() as f64 / c.reads.len() as f64;
    assert!((0.05..0.6).contains(&continuation), "continuation share {continuation}");
}

/// Across students, mean correctness over the last third of a student's original attempts on a
/// skill beats the first third.
#[test]
fn practice_makes_perfect() {
    let c = default_classroom();
    let mut seqs: HashMap<(usize, usize), Vec<bool>> = HashMap::new();
    for r in c.responses.iter().filter(|r| r.original) {
        seqs.entry((r.student, c.problems[r.problem].skills[0])).or_default().push(r.correct);
    }
    let (mut first, mut last, mut n) = (0.0, 0.0, 0);
    for v in seqs.values().filter(|v| v.len() >= 6) {
        let third = v.len() / 3;
        let mean = |s: &[bool]| s.iter().filter(|&&b| b).count() as f64 / s.len() as f64;
        first += mean(&v[..third]);
        last += mean(&v[v.len() - third..]);
        n += 1;
    }
    let (first, last) = (first / n as f64, last / n as f64);
    assert!(n > 100, "too few long sequences: {n}");
    assert!(last > first + 0.1, "first third {first:.3}, last third {last:.3}");
}

/// Outcomes carry signal: the true probabilities rank answers well, and so does ability.
#[test]
fn correctness_is_predictable_and_realistic() {
    let c = default_classroom();
    let originals: Vec<&ProblemRow> = c.responses.iter().filter(|r| r.original).collect();
    let rate = originals.iter().filter(|r| r.correct).count() as f64 / originals.len() as f64;
    assert!((0.5..0.75).contains(&rate), "mean correctness {rate}");
    let oracle = auc(originals.iter().map(|r| (f64::from(r.p_correct), r.correct)));
    assert!(oracle > 0.7, "oracle AUC {oracle}");
    let by_ability = auc(originals.iter().map(|r| (c.students[r.student].ability, r.correct)));
    assert!(by_ability > 0.6, "ability AUC {by_ability}");
}

/// AUC of (score, label) pairs through the one implementation in `metrics::ranking`.
fn auc(scored: impl Iterator<Item = (f64, bool)>) -> f64 {
    let (scores, labels): (Vec<f32>, Vec<bool>) = scored.map(|(s, y)| (s as f32, y)).unzip();
    crate::metrics::ranking::auc(&scores, &labels).expect("both outcomes present")
}

/// Share of reads whose title a classmate read in the 7 days before (strictly earlier days).
fn social_share(c: &SynthClassroom) -> f64 {
    let mut by_class_title: HashMap<(usize, usize), Vec<(u32, usize)>> = HashMap::new();
    for r in &c.reads {
        by_class_title.entry((c.students[r.student].class, r.title)).or_default().push((r.day, r.student));
    }
    let hit = c
        .reads
        .iter()
        .filter(|r| by_class_title[&(c.students[r.student].class, r.title)].iter().any(|&(d, s)| s != r.student && d < r.day && d + 7 >= r.day))
        .count();
    hit as f64 / c.reads.len() as f64
}

#[test]
fn social_influence_is_real_and_causal() {
    let mut gaps = Vec::new();
    for seed in [7, 8, 9] {
        let on = generate(&SynthConfig { seed, ..SynthConfig::default() });
        let off = generate(&SynthConfig { seed, social_influence: 0.0, ..SynthConfig::default() });
        let (s_on, s_off) = (social_share(&on), social_share(&off));
        assert!(s_on > s_off + 0.05, "seed {seed}: classmate-read share with influence {s_on:.3}, without {s_off:.3}");
        gaps.push(s_on - s_off);
    }
    let mean_gap = gaps.iter().sum::<f64>() / gaps.len() as f64;
    assert!(mean_gap > 0.08, "influence raises the classmate-read share by only {mean_gap:.3}");

    let on = generate(&SynthConfig::default());
    let off = generate(&SynthConfig { social_influence: 0.0, ..SynthConfig::default() });
    // Only reading choices depend on the influence.
    assert_eq!(on.responses, off.responses);
    // Nothing precedes the first day, so its reads cannot differ: same-day reads never leak.
    let day0 = |c: &SynthClassroom| c.reads.iter().filter(|r| r.day == 0).cloned().collect::<Vec<_>>();
    assert!(!day0(&on).is_empty());
    assert_eq!(day0(&on), day0(&off));
    // Re-reads (other than continuing an unfinished title) stay rare.
    let mut seen = HashSet::new();
    let rereads = on.reads.iter().filter(|r| !seen.insert((r.student, r.title)) && !r.continuation).count();
    assert!((rereads as f64) < 0.1 * on.reads.len() as f64, "{rereads} re-reads of {}", on.reads.len());
}

#[test]
fn class_practises_its_current_block() {
    let c = default_classroom();
    let (mut current, mut recent) = (0, 0);
    for r in &c.responses {
        let weeks = &c.classes[c.students[r.student].class].weekly_skills;
        let w = (r.day / 7) as usize;
        let now = weeks[w].contains(&r.session_skill);
        current += usize::from(now);
        recent += usize::from(now || (w > 0 && weeks[w - 1].contains(&r.session_skill)));
    }
    let share = |k: usize| k as f64 / c.responses.len() as f64;
    assert!(share(current) > 0.55, "only {:.2} of practice is on the current block", share(current));
    assert!(share(recent) > 0.8, "only {:.2} of practice is on this or last week's block", share(recent));
}

#[test]
fn config_round_trips_and_rejects_nonsense() {
    let cfg = SynthConfig::default();
    let back: SynthConfig = serde_json::from_str(&serde_json::to_string(&cfg).unwrap()).unwrap();
    assert_eq!(back, cfg);
    let partial: SynthConfig = serde_json::from_str(r#"{"seed": 3}"#).unwrap();
    assert_eq!(partial, SynthConfig { seed: 3, ..SynthConfig::default() });
    for bad in [
        SynthConfig { students_per_class: 0, ..cfg.clone() },
        SynthConfig { grade_min: 9, grade_max: 8, ..cfg.clone() },
        SynthConfig { social_influence: -1.0, ..cfg.clone() },
        SynthConfig { start_date: "2025-02-30".into(), ..cfg.clone() },
    ] {
        assert!(try_generate(&bad).is_err(), "{bad:?}");
    }
    // The smallest valid config still makes a (tiny) classroom with every file.
    let tiny = SynthConfig {
        n_schools: 1,
        classes_per_school: 1,
        students_per_class: 1,
        grade_min: 3,
        grade_max: 3,
        n_skills: 1,
        problems_per_skill: 1,
        days: 1,
        n_titles: 1,
        n_topics: 1,
        social_window_days: 0,
        ..cfg
    };
    assert_eq!(files(&generate(&tiny)).len(), 7);
}

#[test]
fn regime_knobs_change_what_they_say_and_nothing_else() {
    let base = SynthConfig { seed: 3, days: 90, ..SynthConfig::default() };
    let plain = generate(&base);
    let with = |f: &dyn Fn(&mut SynthConfig)| {
        let mut cfg = base.clone();
        f(&mut cfg);
        generate(&cfg)
    };
    // Off values keep the bytes, config.json included.
    assert_eq!(files(&with(&|c| c.sequel_pull = 0.0)), files(&plain));
    assert!(!String::from_utf8_lossy(file(&files(&plain), CONFIG_FILE)).contains("holiday_days"));

    // Holiday: no reads in the 10 days from mid-term; practice is untouched.
    let holiday = with(&|c| c.holiday_days = 10);
    assert!(holiday.reads.iter().all(|r| !(45..55).contains(&r.day)));
    assert!(holiday.reads.iter().any(|r| r.day == 44) && holiday.reads.iter().any(|r| r.day == 55));
    assert_eq!(holiday.responses, plain.responses);

    // Uneven classes: sizes differ, everyone is still in a class.
    let uneven = with(&|c| c.class_size_spread = 0.5);
    let sizes: Vec<usize> = (0..uneven.classes.len()).map(|k| uneven.students.iter().filter(|s| s.class == k).count()).collect();
    assert!(sizes.iter().any(|&n| n != sizes[0]) && sizes.iter().all(|&n| n >= 2), "{sizes:?}");

    // Series: a sequel shares its series' level and topic, and is read after its predecessor far
    // more often with a pull than without.
    let series = |pull: f64| with(&|c| (c.series_len, c.sequel_pull) = (3, pull));
    let (pulled, free) = (series(6.0), series(0.0));
    assert!(pulled.titles.chunks(3).all(|s| s.iter().all(|t| t.level == s[0].level && t.topic == s[0].topic)));
    let next_in_series = |c: &SynthClassroom| {
        // Reads come in day order: `read` holds what each student read so far.
        let mut read: HashSet<(usize, usize)> = HashSet::new();
        let (mut hits, mut new) = (0, 0);
        for r in &c.reads {
            if !r.continuation {
                new += 1;
                hits += usize::from(r.title % 3 != 0 && read.contains(&(r.student, r.title - 1)) && !read.contains(&(r.student, r.title)));
            }
            read.insert((r.student, r.title));
        }
        hits as f64 / new as f64
    };
    let (p, f) = (next_in_series(&pulled), next_in_series(&free));
    assert!(p > 2.0 * f && p > 0.05, "sequel share with pull {p:.3}, without {f:.3}");

    // Trends: a trending title's new reads crowd around its peak, so reads per title are spread
    // over fewer weeks.
    let weeks_read = |c: &SynthClassroom| {
        let mut weeks: HashMap<usize, HashSet<u32>> = HashMap::new();
        for r in c.reads.iter().filter(|r| !r.continuation) {
            weeks.entry(r.title).or_default().insert(r.day / 7);
        }
        weeks.values().map(HashSet::len).sum::<usize>() as f64 / weeks.len() as f64
    };
    let trending = with(&|c| c.trend_share = 1.0);
    assert!(weeks_read(&trending) < 0.8 * weeks_read(&plain), "{} vs {}", weeks_read(&trending), weeks_read(&plain));

    // Assignments: with a share of 0.5, a class's most read new title of a week is usually one
    // title, read by many classmates that week.
    let top_share = |c: &SynthClassroom| {
        let mut counts: HashMap<(usize, u32), HashMap<usize, usize>> = HashMap::new();
        for r in c.reads.iter().filter(|r| !r.continuation) {
            *counts.entry((c.students[r.student].class, r.day / 7)).or_default().entry(r.title).or_default() += 1;
        }
        let (top, all): (usize, usize) =
            counts.values().map(|m| (*m.values().max().unwrap(), m.values().sum::<usize>())).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        top as f64 / all as f64
    };
    let assigned = with(&|c| c.assigned_share = 0.5);
    assert!(top_share(&assigned) > 2.0 * top_share(&plain), "{} vs {}", top_share(&assigned), top_share(&plain));
    assert_eq!(assigned.responses, plain.responses);

    for bad in [SynthConfig { assigned_share: 1.5, ..base.clone() }, SynthConfig { series_len: 500, ..base.clone() }, SynthConfig { trend_share: -0.1, ..base }]
    {
        assert!(try_generate(&bad).is_err(), "{bad:?}");
    }
}
