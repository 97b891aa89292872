//! The `knet` command: parses arguments, reads manifests, and prints what `knet-analyze` decides.

mod files;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Args, Parser, Subcommand};
use knet_analyze::render::{Format, Style, render};
use knet_analyze::{Input, analyze};
use knet_model::ClusterConfig;

#[derive(Debug, Parser)]
#[command(
    name = "knet",
    version,
    about = "Kubernetes networking, for real, on one machine: analyze, explain, lint, resolve"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct Manifests {
    /// Manifest files or directories (recursive); `-` reads stdin.
    #[arg(short = 'f', long = "filename", required = true, num_args = 1..)]
    files: Vec<PathBuf>,
    /// The namespace of objects that do not name one.
    #[arg(short = 'n', long, default_value = "default")]
    namespace: String,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Who can reach whom, Services and endpoints, DNS names, Ingress routes and exposure.
    Analyze {
        #[command(flatten)]
        manifests: Manifests,
        /// Output format: txt, json, md, csv, dot, mermaid.
        #[arg(short = 'o', long, default_value = "txt")]
        output: Format,
        /// Also show the system pods the model adds (cluster DNS, the ingress controller).
        #[arg(long)]
        include_system: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            if error
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn admit(manifests: &Manifests) -> Result<Input> {
    let loaded = files::load_paths(&manifests.files)?;
    let input = Input::admit(loaded, &manifests.namespace);
    for diagnostic in &input.diagnostics {
        eprintln!("error: {diagnostic}");
    }
    if input.manifests.is_empty() && !input.diagnostics.is_empty() {
        bail!("no valid objects to analyze");
    }
    Ok(input)
}

fn run(cli: Cli) -> Result<ExitCode> {
    let stdout = std::io::stdout();
    let style = Style {
        color: stdout.is_terminal(),
    };
    match cli.command {
        Command::Analyze {
            manifests,
            output,
            include_system,
        } => {
            let input = admit(&manifests)?;
            let cluster = input.cluster(ClusterConfig::default());
            let report = analyze(&cluster, include_system);
            stdout
                .lock()
                .write_all(render(&report, output, style).as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
