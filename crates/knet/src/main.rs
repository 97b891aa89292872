//! The `knet` command: parses arguments, reads manifests, and prints what `knet-analyze` decides; `up`, `down` and
//! `kubeconfig` run the API server of `knet-apiserver` with the controllers of `knet-controllers` (`up.rs`).

mod files;
mod up;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Args, Parser, Subcommand};
use knet_analyze::render::{Format, Style, render};
use knet_analyze::{Input, analyze, explain, lint};
use knet_model::ClusterConfig;
use knet_model::dns::RecordType;
use knet_model::resolv;

#[derive(Debug, Parser)]
#[command(
    name = "knet",
    version,
    about = "Kubernetes networking, for real, on one machine: up, down, analyze, explain, lint, resolve"
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

#[derive(Debug, Args)]
struct StateDirArg {
    /// The directory holding the store, TLS material, token and kubeconfig.
    #[arg(long, default_value = knet_apiserver::DEFAULT_STATE_DIR)]
    state_dir: PathBuf,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the control plane (the Kubernetes API server and its controllers) in the foreground until SIGINT or SIGTERM.
    #[command(after_help = format!(
        "Served resources (group/version: plural (short names) [subresources]):\n{}\nAnything else answers 404 \
         `the server doesn't have a resource type`; pods/log, exec, attach and portforward answer 503 until the node \
         data plane runs.",
        knet_apiserver::served_resources()
    ))]
    Up {
        #[command(flatten)]
        state_dir: StateDirArg,
        /// The port to serve HTTPS on at 127.0.0.1 (0: any free port; the kubeconfig names it).
        #[arg(long, default_value_t = 6443)]
        port: u16,
        /// Run without the node data plane (pods are not started; today this is always the case).
        #[arg(long)]
        no_dataplane: bool,
    },
    /// Stops the `knet up` running on the state dir.
    Down {
        #[command(flatten)]
        state_dir: StateDirArg,
    },
    /// Prints the path of the kubeconfig `knet up` writes: `export KUBECONFIG=$(knet kubeconfig)`.
    Kubeconfig {
        #[command(flatten)]
        state_dir: StateDirArg,
    },
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
    /// The whole chain from one pod (or an outside IP) to a target, with the reason at each step.
    Explain {
        #[command(flatten)]
        manifests: Manifests,
        /// The source: NS/NAME of a pod or workload, or an IP address outside the cluster.
        #[arg(long)]
        from: String,
        /// The target: NS/NAME, a service name as the pod would write it, or an IP; optionally :PORT[/PROTOCOL].
        #[arg(long)]
        to: String,
    },
    /// Findings with stable codes, severity, object and field; exits non-zero when an error is found.
    Lint {
        #[command(flatten)]
        manifests: Manifests,
        /// Output format: txt, json, sarif.
        #[arg(short = 'o', long, default_value = "txt")]
        output: String,
    },
    /// Resolves a name from a pod as its resolver would: resolv.conf, every query tried, the answer.
    Resolve {
        #[command(flatten)]
        manifests: Manifests,
        /// The pod (or workload) whose resolv.conf applies: NS/NAME.
        #[arg(long)]
        from: String,
        /// The name to resolve.
        name: String,
        /// The record type.
        #[arg(long = "type", default_value = "A")]
        record_type: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            if error.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) {
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
    if !input.diagnostics.is_empty() {
        let refused = input.diagnostics.len();
        eprintln!("knet: {refused} document(s) refused as above; the rest is analysed");
    }
    Ok(input)
}

fn run(cli: Cli) -> Result<ExitCode> {
    let stdout = std::io::stdout();
    let style = Style { color: stdout.is_terminal() };
    match cli.command {
        Command::Up { state_dir, port, no_dataplane } => {
            up::up(knet_apiserver::Config { state_dir: state_dir.state_dir, port, no_dataplane })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Down { state_dir } => {
            let pid = knet_apiserver::down(&state_dir.state_dir)?;
            eprintln!("knet: stopped knet up (pid {pid}) on {}", state_dir.state_dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Kubeconfig { state_dir } => {
            let dir = &state_dir.state_dir;
            let path = knet_apiserver::kubeconfig_path(dir);
            match std::fs::metadata(&path) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => anyhow::bail!(
                    "no kubeconfig at {}: knet up has not run on the state dir {} (start it with `knet up{}`)",
                    path.display(),
                    dir.display(),
                    if dir.as_path() == std::path::Path::new(knet_apiserver::DEFAULT_STATE_DIR) {
                        String::new()
                    } else {
                        format!(" --state-dir {}", dir.display())
                    }
                ),
                Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot read {}", path.display()))),
            }
            writeln!(stdout.lock(), "{}", path.display())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Analyze { manifests, output, include_system } => {
            let input = admit(&manifests)?;
            let cluster = input.cluster(ClusterConfig::default());
            let report = analyze(&cluster, include_system);
            stdout.lock().write_all(render(&report, output, style).as_bytes())?;
            Ok(exit_status(&input))
        }
        Command::Explain { manifests, from, to } => {
            let input = admit(&manifests)?;
            let cluster = input.cluster(ClusterConfig::default());
            let source = explain::find_source(&cluster, &from)?;
            let request = explain::Request::parse(&to)?;
            let explanation = explain::explain(&cluster, source, &request)?;
            stdout.lock().write_all(explanation.to_string().as_bytes())?;
            Ok(if explanation.allowed { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Lint { manifests, output } => {
            let loaded = files::load_paths(&manifests.files)?;
            let findings = lint::lint(loaded, &manifests.namespace, ClusterConfig::default());
            let text = match output.as_str() {
                "txt" | "text" => lint::render_text(&findings, style.color),
                "json" => lint::render_json(&findings),
                "sarif" => lint::render_sarif(&findings),
                other => bail!("unknown output format {other:?}: use txt, json or sarif"),
            };
            stdout.lock().write_all(text.as_bytes())?;
            Ok(if findings.iter().any(lint::Finding::is_error) { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        Command::Resolve { manifests, from, name, record_type } => {
            let input = admit(&manifests)?;
            let cluster = input.cluster(ClusterConfig::default());
            let record_type: RecordType = record_type
                .parse()
                .map_err(|_| anyhow::anyhow!("--type {record_type:?}: use A, AAAA, SRV, PTR, TXT or CNAME"))?;
            let explain::Source::Pod(pod) = explain::find_source(&cluster, &from)? else {
                bail!(
                    "--from {from:?}: resolve needs a pod (NS/NAME); a client outside the cluster does not use the cluster DNS"
                );
            };
            let resolution = resolv::resolve(&cluster, cluster.pod(pod), &name, record_type)?;
            stdout.lock().write_all(resolution.to_string().as_bytes())?;
            Ok(if resolution.answer.is_some() { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
    }
}

/// Non-zero when some object was refused, as `kubectl apply` does; the report still covers every valid object.
fn exit_status(input: &Input) -> ExitCode {
    if input.diagnostics.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
