//! `cargo xtask`: the project's build, test, demo and bench commands.
//!
//! - [`toolchain`]: finds or provides PowerShell 7 (a real `pwsh`, else the project's engine host).
//! - [`module`]: builds the Rust engine and the .NET runtime and lays out the importable module in `out/module/`.
//! - [`emulator`]: starts the emulator (the real `mgpresence serve`) for the demo and the tests.
//! - [`tasks`]: the commands themselves.
//! - [`bench`]: speed and memory against peers in the same run.
//! - [`soak`]: 100,000 calls through the C ABI under valgrind.

mod bench;
mod emulator;
mod module;
mod soak;
mod tasks;
mod toolchain;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "MgPresence build, test, demo and bench tasks")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Build everything and lay out the module in out/module/MgPresence.
    Build,
    /// Build, start the emulator, import the module in PowerShell, set a presence and read it back.
    Demo,
    /// Every test: generated files fresh, Rust, .NET (xunit) and PowerShell against the emulator.
    Test,
    /// Speed and memory ratios against peers measured in the same run (release engine).
    Bench {
        /// Fewer runs and smaller counts, for a quick look.
        #[arg(long)]
        quick: bool,
    },
    /// Rewrite generated/ from the FFI inventory and the cmdlet catalog.
    Codegen,
    /// Calls through the C ABI under valgrind memcheck (Linux); fails when bytes are definitely lost.
    Valgrind {
        /// How many calls.
        #[arg(long, default_value_t = 100_000)]
        calls: u64,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Task::Build => tasks::build().map(|_| ()),
        Task::Demo => tasks::demo(),
        Task::Test => tasks::test(),
        Task::Bench { quick } => bench::bench(&bench::BenchOptions { quick }),
        Task::Codegen => tasks::codegen(),
        Task::Valgrind { calls } => soak::valgrind(calls),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
