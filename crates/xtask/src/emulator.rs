//! The emulator as the demo and the test suites use it: the real `mgpresence serve` on a free loopback port.

use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub struct EmulatorProcess {
    pub url: String,
    child: Child,
}

impl EmulatorProcess {
    /// Starts `mgpresence serve --port 0` with `extra` arguments.
    pub fn start(cli: &Path, extra: &[&str]) -> Result<Self> {
        let mut child = Command::new(cli)
            .args(["serve", "--port", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start {}", cli.display()))?;
        let stdout = child.stdout.take().context("no stdout from the emulator")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let Some(url) = line.trim().rsplit(' ').next().filter(|u| u.starts_with("http://")) else {
            let _ = child.kill();
            bail!("the emulator did not print its URL (got {line:?})");
        };
        Ok(Self { url: url.to_owned(), child })
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
