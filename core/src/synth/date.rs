//! The generator's view of the calendar (see [`crate::calendar`]).

pub(crate) use crate::calendar::{format_days as format, parse_ymd as parse, weekday};
