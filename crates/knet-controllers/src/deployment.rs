//! The deployment controller.

use std::sync::Arc;

use crate::Context;

/// Runs the controller until it is stopped.
pub async fn run(context: Arc<Context>) {
    let _ = context;
}
