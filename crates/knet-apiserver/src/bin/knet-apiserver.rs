//! `knet-apiserver STATE_DIR`: the API server alone, on a free port of 127.0.0.1 and without a data plane, in the
//! foreground until SIGINT or SIGTERM, printing `knet up`'s ready line. It exists so that the crash test
//! (`tests/crash.rs`) can run the server as a child process and SIGKILL it; users run `knet up`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(state_dir), None) = (args.next(), args.next()) else {
        eprintln!("usage: knet-apiserver STATE_DIR");
        return ExitCode::from(2);
    };
    let config = knet_apiserver::Config { state_dir: state_dir.into(), port: 0, no_dataplane: true };
    match knet_apiserver::run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("knet-apiserver: {error}");
            ExitCode::FAILURE
        }
    }
}
