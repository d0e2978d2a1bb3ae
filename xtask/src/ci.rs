//! `cargo xtask ci`: the checks CI runs, in order, stopping at the first failure.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::bail;

use crate::{cargo_command, display_command, tidy};

/// One step of `cargo xtask ci`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Step {
    /// `cargo fmt --all -- --check`
    Fmt,
    /// `cargo clippy --workspace --all-targets --release -- -D warnings`
    Clippy,
    /// `cargo xtask tidy` (run in-process)
    Tidy,
    /// `cargo test --workspace --release`
    Test,
    /// `cargo doc --workspace --no-deps --release` with `RUSTDOCFLAGS="-D warnings"`
    Doc,
}

impl Step {
    /// All steps, in the order CI runs them.
    pub const ALL: [Step; 5] = [Step::Fmt, Step::Clippy, Step::Tidy, Step::Test, Step::Doc];

    /// The step's name as given to `--skip`.
    pub fn name(self) -> &'static str {
        match self {
            Step::Fmt => "fmt",
            Step::Clippy => "clippy",
            Step::Tidy => "tidy",
            Step::Test => "test",
            Step::Doc => "doc",
        }
    }

    /// The cargo command this step runs, or `None` for the in-process tidy check.
    pub fn command(self, root: &Path) -> Option<Command> {
        let mut command = cargo_command(root);
        match self {
            Step::Fmt => command.args(["fmt", "--all", "--", "--check"]),
            Step::Clippy => command.args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--release",
                "--",
                "-D",
                "warnings",
            ]),
            Step::Tidy => return None,
            Step::Test => command.args(["test", "--workspace", "--release"]),
            Step::Doc => command
                .args(["doc", "--workspace", "--no-deps", "--release"])
                .env("RUSTDOCFLAGS", "-D warnings"),
        };
        Some(command)
    }

    fn describe(self, root: &Path) -> String {
        match self.command(root) {
            Some(command) => {
                let env: String = command
                    .get_envs()
                    .filter_map(|(k, v)| Some(format!("{}=\"{}\" ", k.to_str()?, v?.to_str()?)))
                    .collect();
                format!("{env}{}", display_command(&command))
            }
            None => "cargo xtask tidy".to_owned(),
        }
    }
}

/// What happened to a step.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Passed(Duration),
    Failed(Duration),
    Skipped,
    NotRun,
}

/// Runs every step not in `skip`, in order, stopping at the first failure; prints each
/// step's wall time at the end either way.
pub fn run(root: &Path, skip: &[Step]) -> anyhow::Result<()> {
    let mut outcomes: Vec<(Step, Outcome)> = Vec::new();
    let mut failure: Option<String> = None;
    let selected: Vec<Step> = Step::ALL.into_iter().filter(|s| !skip.contains(s)).collect();
    for (index, step) in Step::ALL.into_iter().enumerate() {
        if skip.contains(&step) {
            outcomes.push((step, Outcome::Skipped));
            continue;
        }
        if failure.is_some() {
            outcomes.push((step, Outcome::NotRun));
            continue;
        }
        let position = selected.iter().position(|s| *s == step).unwrap_or(index) + 1;
        eprintln!(
            "==> ci [{position}/{}] {}: {}",
            selected.len(),
            step.name(),
            step.describe(root)
        );
        let start = Instant::now();
        let result = run_step(root, step);
        let elapsed = start.elapsed();
        match result {
            Ok(()) => outcomes.push((step, Outcome::Passed(elapsed))),
            Err(message) => {
                outcomes.push((step, Outcome::Failed(elapsed)));
                failure = Some(message);
            }
        }
    }
    eprintln!("\n{}", summary(&outcomes));
    match failure {
        Some(message) => bail!("{message}"),
        None => {
            eprintln!("ci: all {} selected step(s) passed", selected.len());
            Ok(())
        }
    }
}

fn run_step(root: &Path, step: Step) -> Result<(), String> {
    let Some(mut command) = step.command(root) else {
        let violations = tidy::check(root);
        if violations.is_empty() {
            eprintln!("tidy: ok");
            return Ok(());
        }
        for violation in &violations {
            eprintln!("{violation}");
        }
        return Err(format!(
            "ci step `tidy` failed: {} violation(s), listed above; fix them and rerun \
             `cargo xtask tidy`",
            violations.len()
        ));
    };
    let describe = step.describe(root);
    match command.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!(
            "ci step `{}` failed ({status}); its output is above; rerun it alone with: \
             {describe}",
            step.name()
        )),
        Err(err) => Err(format!("ci step `{}` could not start `{describe}`: {err}", step.name())),
    }
}

fn summary(outcomes: &[(Step, Outcome)]) -> String {
    let mut text = String::from("ci summary\nstep      time      result\n");
    let mut total = Duration::ZERO;
    for (step, outcome) in outcomes {
        let (time, result) = match outcome {
            Outcome::Passed(d) => (format!("{:.1}s", d.as_secs_f64()), "ok"),
            Outcome::Failed(d) => (format!("{:.1}s", d.as_secs_f64()), "FAILED"),
            Outcome::Skipped => ("-".to_owned(), "skipped"),
            Outcome::NotRun => ("-".to_owned(), "not run (an earlier step failed)"),
        };
        if let Outcome::Passed(d) | Outcome::Failed(d) = outcome {
            total += *d;
        }
        text.push_str(&format!("{:<9} {:>8}  {result}\n", step.name(), time));
    }
    text.push_str(&format!("{:<9} {:>8}", "total", format!("{:.1}s", total.as_secs_f64())));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_run_in_the_documented_order_with_the_documented_commands() {
        let root = Path::new("/repo");
        let described: Vec<String> = Step::ALL.iter().map(|s| s.describe(root)).collect();
        assert_eq!(
            described,
            [
                "cargo fmt --all -- --check",
                "cargo clippy --workspace --all-targets --release -- -D warnings",
                "cargo xtask tidy",
                "cargo test --workspace --release",
                "RUSTDOCFLAGS=\"-D warnings\" cargo doc --workspace --no-deps --release",
            ]
        );
    }

    #[test]
    fn summary_lists_every_step_with_its_outcome() {
        let text = summary(&[
            (Step::Fmt, Outcome::Passed(Duration::from_millis(1500))),
            (Step::Clippy, Outcome::Failed(Duration::from_secs(2))),
            (Step::Tidy, Outcome::NotRun),
            (Step::Test, Outcome::Skipped),
        ]);
        assert!(text.contains("fmt           1.5s  ok"), "{text}");
        assert!(text.contains("clippy        2.0s  FAILED"), "{text}");
        assert!(text.contains("tidy             -  not run"), "{text}");
        assert!(text.contains("test             -  skipped"), "{text}");
        assert!(text.ends_with("total         3.5s"), "{text}");
    }
}
