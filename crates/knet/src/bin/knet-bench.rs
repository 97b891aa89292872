//! `knet-bench`: times the full connectivity computation on generated clusters, beside the per-pair reference path,
//! and reports peak memory. The numbers in BENCHMARKS.md come from this program.

use std::time::{Duration, Instant};

use knet_analyze::Input;
use knet_analyze::synthetic::{Shape, generate};
use knet_model::connectivity::{Connectivity, Node};
use knet_model::policy::{Direction, allowed_connections, remote_pod};
use knet_model::{Cluster, ClusterConfig};

/// Peak resident memory of this process so far (`VmHWM`), in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The per-pair reference: evaluate sampled pod pairs one by one, extrapolated to all pairs.
fn pairwise_estimate(cluster: &Cluster, samples: usize) -> Duration {
    let n = cluster.pods.len();
    let labels: Vec<_> = cluster.pods.iter().map(|p| cluster.namespace_labels(&p.namespace)).collect();
    let start = Instant::now();
    let mut allowed = 0usize;
    for k in 0..samples {
        let (s, d) = ((k * 7919) % n, (k * 104_729 + 13) % n);
        let (s, d) = (knet_model::PodId(s), knet_model::PodId(d));
        let egress = allowed_connections(cluster, Direction::Egress, s, &remote_pod(cluster, d, &labels[d.0]));
        let ingress = allowed_connections(cluster, Direction::Ingress, d, &remote_pod(cluster, s, &labels[s.0]));
        allowed += usize::from(!egress.intersection(&ingress).is_empty());
    }
    std::hint::black_box(allowed);
    start.elapsed().mul_f64((n * n) as f64 / samples as f64)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sizes: Vec<(usize, usize)> = if args.is_empty() {
        vec![(100, 20), (1000, 200), (5000, 1000), (10000, 1000), (20000, 2000)]
    } else {
        args.iter()
            .filter_map(|a| a.split_once('x'))
            .filter_map(|(w, p)| Some((w.parse().ok()?, p.parse().ok()?)))
            .collect()
    };
    println!(
        "| workloads | policies | classes | rows+columns | load+admit | connectivity | peak RSS | pairwise reference (est.) | speed-up |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (workloads, policies) in sizes {
        let text = generate(Shape { workloads, policies });
        let start = Instant::now();
        let input = Input::admit(knet_object::load_str("generated", &text), "default");
        let cluster =
            Cluster::build(ClusterConfig { system_objects: false, ..ClusterConfig::default() }, &input.manifests);
        let load = start.elapsed();
        drop(text);
        let start = Instant::now();
        let matrix = Connectivity::compute(&cluster);
        let compute = start.elapsed();
        let peak = peak_rss_mib();
        let probe =
            matrix.between(Node::Pod(knet_model::PodId(0)), Node::Pod(knet_model::PodId(cluster.pods.len() - 1)));
        std::hint::black_box(probe);
        let reference = pairwise_estimate(&cluster, 20_000);
        println!(
            "| {workloads} | {policies} | {} | {} | {:.2} s | {:.3} s | {peak:.0} MiB | {:.1} s | {:.0}× |",
            matrix.class_count(),
            {
                let (rows, columns) = matrix.line_count();
                rows + columns
            },
            load.as_secs_f64(),
            compute.as_secs_f64(),
            reference.as_secs_f64(),
            reference.as_secs_f64() / compute.as_secs_f64().max(1e-9),
        );
    }
}
