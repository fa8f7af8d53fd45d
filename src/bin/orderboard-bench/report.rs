//! A bench's figures, each with its target, printed as a table or JSON.

use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct Figure {
    pub name: String,
    pub value: f64,
    pub unit: String,
    pub target: Option<String>,
    pub met: Option<bool>,
}

impl Figure {
    pub fn new(name: &str, value: f64, unit: &str) -> Figure {
        Figure {
            name: name.into(),
            value,
            unit: unit.into(),
            target: None,
            met: None,
        }
    }

    pub fn below(mut self, limit: f64) -> Figure {
        self.target = Some(format!("< {limit} {}", self.unit));
        self.met = Some(self.value < limit);
        self
    }

    pub fn at_least(mut self, limit: f64) -> Figure {
        self.target = Some(format!(">= {limit} {}", self.unit));
        self.met = Some(self.value >= limit);
        self
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub bench: String,
    pub backend: String,
    pub figures: Vec<Figure>,
}

impl Report {
    pub fn print(&self, json: bool) {
        if json {
            println!("{}", serde_json::to_string_pretty(self).unwrap_or_default());
            return;
        }
        println!("bench {} on {}", self.bench, self.backend);
        for figure in &self.figures {
            let verdict = match figure.met {
                Some(true) => "  ok",
                Some(false) => "  MISSED",
                None => "",
            };
            let target = figure
                .target
                .as_ref()
                .map(|t| format!("  (target {t})"))
                .unwrap_or_default();
            println!(
                "  {:<44} {:>12.2} {}{target}{verdict}",
                figure.name, figure.value, figure.unit
            );
        }
    }
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

pub fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(|a, b| a.total_cmp(b));
    values
}

/// Resident memory of this process, from /proc (Linux), in MB.
pub fn resident_mb() -> Option<f64> {
    resident_mb_in("/proc/self/status")
}

/// Resident memory of another process, in MB; None once it has ended.
pub fn resident_mb_of(pid: u32) -> Option<f64> {
    resident_mb_in(&format!("/proc/{pid}/status"))
}

/// `VmRSS` from a /proc status file, in MB.
fn resident_mb_in(status_file: &str) -> Option<f64> {
    let status = std::fs::read_to_string(status_file).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
