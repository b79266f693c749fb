//! Reading titles and who reads what, including the pull of classmates' recent reads.
//!
//! A student picks a new title with weight
//! `popularity * topic taste * level fit * (1 + social_influence * recent classmate reads)`,
//! where "recent" means the `social_window_days` days strictly before the reading day, so the
//! social signal is causal: nothing read today or later can affect today's choice. Titles
//! already read are strongly down-weighted; an unfinished title is often continued in the next
//! session (a continuation read of the same title).
//!
//! The regime knobs of [`SynthConfig`] (all off by default) add what real classrooms have:
//! a weekly assigned class reading, series whose next title pulls a student who read the one
//! before, titles whose popularity rises and fades, a holiday without reading, and (in
//! `students`) classes of uneven size. Their draws come from streams of their own, or happen
//! only when a knob is on, so a world without them keeps its bytes.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::sample::{lognormal, normal, stream, weighted_index};
use super::{ReadingRow, Student, SynthConfig, Title};

const TOPIC_NAMES: [&str; 12] =
    ["Adventure", "Animals", "Science", "History", "Sports", "Mystery", "Fantasy", "Biography", "Poetry", "Space", "Humor", "Geography"];
const ADJECTIVES: [&str; 20] = [
    "Silver", "Hidden", "Last", "Brave", "Secret", "Lost", "Northern", "Quiet", "Golden", "Wild", "Broken", "Tiny", "Endless", "Frozen", "Burning", "Curious",
    "Midnight", "Ancient", "Electric", "Distant",
];
const NOUNS: [&str; 20] = [
    "River",
    "Island",
    "Map",
    "Garden",
    "Engine",
    "Forest",
    "Comet",
    "Castle",
    "Notebook",
    "Voyage",
    "Lighthouse",
    "Dragon",
    "Detective",
    "Canyon",
    "Orchestra",
    "Robot",
    "Harbor",
    "Mountain",
    "Library",
    "Storm",
];

/// Chance of picking up an unfinished title again in a later session, if the last session on
/// it was at most `CONTINUE_MAX_GAP_DAYS` days ago (never twice on the same day).
const CONTINUE_PROB: f64 = 0.5;
const CONTINUE_MAX_GAP_DAYS: u32 = 3;
/// Weight multiplier for a title the student has already read (re-reads are rare).
const REREAD_WEIGHT: f64 = 0.03;
/// Spread (in levels) of the level-fit bell around the student's reading level.
const LEVEL_SPREAD: f64 = 0.9;
/// Per-student reading streams start here (see [`stream`]).
const READING_STREAM_BASE: u64 = 2 << 32;
/// The trends' and the assignments' streams.
const TRENDS_STREAM: u64 = 6;
const ASSIGNMENTS_STREAM: u64 = 7;
/// How long a class keeps one assigned reading.
const ASSIGNMENT_DAYS: u32 = 7;
/// A trending title's bump: its spread in days, its height, and its weight away from the peak.
const TREND_DAYS: f64 = 10.0;
const TREND_HEIGHT: f64 = 6.0;
const TREND_FLOOR: f64 = 0.15;

pub(crate) fn topics(cfg: &SynthConfig) -> Vec<String> {
    (0..cfg.n_topics).map(|t| TOPIC_NAMES.get(t).map_or_else(|| format!("Topic {}", t + 1), |s| s.to_string())).collect()
}

/// Titles with STUDY-like shelf codes (two letters, two digits), a level 1-5, a topic, a
/// popularity (log-normal: a few titles are hits) and a length in reading seconds.
///
/// With `series_len > 1`, every title but the first of each run of `series_len` takes the level
/// and topic of the one before (its series); the draws are the same either way.
pub(crate) fn titles(cfg: &SynthConfig, rng: &mut ChaCha8Rng) -> Vec<Title> {
    let mut out: Vec<Title> = Vec::with_capacity(cfg.n_titles);
    for i in 0..cfg.n_titles {
        let drawn = (rng.random_range(1..=5u8), rng.random_range(0..cfg.n_topics));
        let (level, topic) = match out.last() {
            Some(prev) if is_sequel(cfg, i) => (prev.level, prev.topic),
            _ => drawn,
        };
        out.push(Title {
            id: shelf_code(i),
            name: title_name(i),
            level,
            topic,
            popularity: lognormal(rng, 1.0, 0.8),
            length_seconds: lognormal(rng, 600.0 + 400.0 * f64::from(level), 0.4).round() as u32,
        });
    }
    out
}

/// Whether title `i` continues the series of title `i - 1`.
fn is_sequel(cfg: &SynthConfig, i: usize) -> bool {
    cfg.series_len > 1 && !i.is_multiple_of(cfg.series_len)
}

/// A unique code per index: `i` is scrambled by a bijection of `0..67_600` (7_919 is coprime
/// to 67_600) into a letter pair and two digits, so codes look varied ("HB11", "XF15") without
/// colliding for up to 67,600 titles.
fn shelf_code(i: usize) -> String {
    let x = (i * 7_919 + 4_321) % 67_600;
    let letter = |k: usize| char::from(b'A' + k as u8);
    format!("{}{}{:02}", letter(x / 100 / 26), letter(x / 100 % 26), x % 100)
}

fn title_name(i: usize) -> String {
    let base = format!("The {} {}", ADJECTIVES[i % 20], NOUNS[(i / 20 + i * 7) % 20]);
    match i / 400 {
        0 => base,
        k => format!("{base} Book {}", k + 1),
    }
}

/// A student's reading tastes and what they are in the middle of.
struct Reader {
    topic_taste: Vec<f64>,
    level: f64,
    /// Reading sessions per day, on average.
    daily_rate: f64,
    read: Vec<bool>,
    /// Unfinished title: (title, seconds read so far, day of the last session on it).
    current: Option<(usize, u32, u32)>,
    /// Own reads, oldest first, pruned to the social window: (day, title).
    recent: Vec<(u32, usize)>,
}

impl Reader {
    fn new(cfg: &SynthConfig, student: &Student, rng: &mut ChaCha8Rng) -> Self {
        let mut topic_taste: Vec<f64> = (0..cfg.n_topics).map(|_| (0.8 * normal(rng)).exp()).collect();
        let favourite = rng.random_range(0..cfg.n_topics);
        topic_taste[favourite] *= 3.0;
        Self {
            topic_taste,
            level: student.reading_level,
            daily_rate: cfg.reads_per_week / 7.0 * lognormal(rng, 1.0, 0.4),
            read: vec![false; cfg.n_titles],
            current: None,
            recent: Vec::new(),
        }
    }

    /// Draws a new title. `class_window` counts the class's reads per title in the window
    /// before `day` (the student's own reads are taken out); `weights` is scratch space.
    fn choose(&self, cfg: &SynthConfig, day: u32, world: &World, class: usize, class_window: &[u32], weights: &mut [f64], rng: &mut ChaCha8Rng) -> usize {
        if cfg.assigned_share > 0.0 {
            let assigned = world.assigned(class, day);
            if rng.random_bool(cfg.assigned_share) && !self.read[assigned] {
                return assigned;
            }
        }
        let titles = world.titles;
        for (t, title) in titles.iter().enumerate() {
            let own = self.recent.iter().filter(|&&(d, rt)| rt == t && d < day).count() as u32;
            let classmates = class_window[t].saturating_sub(own);
            let fit = (f64::from(title.level) - self.level) / LEVEL_SPREAD;
            weights[t] = title.popularity
                * self.topic_taste[title.topic]
                * (-0.5 * fit * fit).exp()
                * if self.read[t] { REREAD_WEIGHT } else { 1.0 }
                * (1.0 + cfg.social_influence * f64::from(classmates))
                * world.trend(t, day)
                * if is_sequel(cfg, t) && self.read[t - 1] && !self.read[t] { 1.0 + cfg.sequel_pull } else { 1.0 };
        }
        weighted_index(rng, weights)
    }

    /// Books a session: progress on the title, and whether it is left unfinished.
    fn record(&mut self, title: usize, continuation: bool, seconds: u32, day: u32, length_seconds: u32) {
        let progress = match self.current {
            Some((t, done, _)) if continuation && t == title => done + seconds,
            _ => seconds,
        };
        self.current = (progress < length_seconds).then_some((title, progress, day));
        self.read[title] = true;
        self.recent.push((day, title));
    }
}

/// What the regime knobs fix before the term starts: each title's trend peak and each class's
/// assigned reading per week.
struct World<'t> {
    titles: &'t [Title],
    /// Peak day of each trending title (`None`: steady popularity).
    peaks: Vec<Option<f64>>,
    /// `assignments[class][week]`: a title index.
    assignments: Vec<Vec<usize>>,
}

impl<'t> World<'t> {
    fn new(cfg: &SynthConfig, titles: &'t [Title], students: &[Student], n_classes: usize) -> Self {
        let mut peaks = vec![None; titles.len()];
        if cfg.trend_share > 0.0 {
            let mut rng = stream(cfg.seed, TRENDS_STREAM);
            for p in &mut peaks {
                let (trending, day) = (rng.random_bool(cfg.trend_share), rng.random::<f64>() * f64::from(cfg.days));
                *p = trending.then_some(day);
            }
        }
        let mut assignments = vec![Vec::new(); n_classes];
        if cfg.assigned_share > 0.0 {
            let mut rng = stream(cfg.seed, ASSIGNMENTS_STREAM);
            let weeks = cfg.days.div_ceil(ASSIGNMENT_DAYS) as usize;
            for (class, list) in assignments.iter_mut().enumerate() {
                let levels: Vec<f64> = students.iter().filter(|s| s.class == class).map(|s| s.reading_level).collect();
                let level = (levels.iter().sum::<f64>() / levels.len().max(1) as f64).round() as u8;
                let mut fits: Vec<usize> = (0..titles.len()).filter(|&t| titles[t].level == level).collect();
                if fits.is_empty() {
                    fits = (0..titles.len()).collect();
                }
                *list = (0..weeks).map(|_| fits[rng.random_range(0..fits.len())]).collect();
            }
        }
        Self { titles, peaks, assignments }
    }

    /// The weight multiplier of title `t`'s popularity on `day`.
    fn trend(&self, t: usize, day: u32) -> f64 {
        self.peaks[t].map_or(1.0, |peak| {
            let z = (f64::from(day) - peak) / TREND_DAYS;
            TREND_FLOOR + TREND_HEIGHT * (-0.5 * z * z).exp()
        })
    }

    /// The class's assigned reading on `day`.
    fn assigned(&self, class: usize, day: u32) -> usize {
        self.assignments[class][(day / ASSIGNMENT_DAYS) as usize]
    }
}

/// Whether `day` falls in the holiday (see [`SynthConfig::holiday_days`]).
fn on_holiday(cfg: &SynthConfig, day: u32) -> bool {
    let start = cfg.days / 2;
    cfg.holiday_days > 0 && (start..start.saturating_add(cfg.holiday_days)).contains(&day)
}

/// Simulates the term's reading, day by day so each day's choices see only earlier days.
/// Rows come out in day order, and within a day by class and student.
pub(crate) fn simulate(cfg: &SynthConfig, start_day: i64, titles: &[Title], students: &[Student], n_classes: usize) -> Vec<ReadingRow> {
    let world = World::new(cfg, titles, students, n_classes);
    let mut rngs: Vec<ChaCha8Rng> = (0..students.len()).map(|s| stream(cfg.seed, READING_STREAM_BASE + s as u64)).collect();
    let mut readers: Vec<Reader> = students.iter().zip(&mut rngs).map(|(st, rng)| Reader::new(cfg, st, rng)).collect();
    // Reads per title by each class within the window, and each day's reads to expire later.
    let mut window = vec![vec![0u32; titles.len()]; n_classes];
    let mut by_day: Vec<Vec<(usize, usize)>> = Vec::new();
    let mut weights = vec![0.0; titles.len()];
    let mut rows = Vec::new();
    for day in 0..cfg.days {
        // Expire the day that just left the window [day - w, day - 1].
        if let Some(gone) = day.checked_sub(cfg.social_window_days + 1) {
            for &(class, title) in &by_day[gone as usize] {
                window[class][title] -= 1;
            }
        }
        let weekend = super::date::weekday(start_day + i64::from(day)) >= 5;
        let mut today = Vec::new();
        for (s, student) in students.iter().enumerate().filter(|_| !on_holiday(cfg, day)) {
            let rng = &mut rngs[s];
            let reader = &mut readers[s];
            reader.recent.retain(|&(d, _)| d + cfg.social_window_days >= day);
            let rate = reader.daily_rate * if weekend { 1.3 } else { 0.88 };
            let sessions = if rng.random_bool(rate.min(0.95)) { 1 + usize::from(rng.random_bool(0.1)) } else { 0 };
            for _ in 0..sessions {
                let (title, continuation) = match reader.current {
                    Some((t, _, last)) if day > last && day - last <= CONTINUE_MAX_GAP_DAYS && rng.random_bool(CONTINUE_PROB) => (t, true),
                    _ => (reader.choose(cfg, day, &world, student.class, &window[student.class], &mut weights, rng), false),
                };
                let seconds = lognormal(rng, 600.0, 0.6).clamp(60.0, 3_600.0).round() as u32;
                reader.record(title, continuation, seconds, day, titles[title].length_seconds);
                today.push((student.class, title));
                rows.push(ReadingRow { student: s, title, day, seconds, continuation });
            }
        }
        // Today's reads join the window only after everyone has chosen: strictly causal.
        for &(class, title) in &today {
            window[class][title] += 1;
        }
        by_day.push(today);
    }
    rows
}
