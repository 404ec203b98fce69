//! The files under `deploy/` that can be checked without a cluster or a container
//! runtime: HAProxy and nginx accept their configurations (`haproxy -c`, `nginx -t`;
//! without them the test prints `SKIPPED: …` and passes, or fails under
//! `HTTP_RS_REQUIRE_TOOLS=1`), and the shutdown timing agrees across the Dockerfile and the
//! Kubernetes manifests: the probes ask `/healthz` and `/readyz`, which `--health` serves,
//! and preStop + `--drain` + the server's shutdown timeout fit in the grace period.
//! (`deploy/e2e.sh` runs the proxy configurations for real, under load.)

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "../../testing/tools.rs"]
mod tools;

fn deploy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(deploy().join(name)).unwrap_or_else(|e| panic!("deploy/{name}: {e}"))
}

/// The tool, or `None` after reporting it missing.
fn tool(name: &str, version_flag: &str) -> Option<PathBuf> {
    tools::require_tool(name, version_flag)
}

#[test]
fn haproxy_accepts_its_configuration() {
    let Some(bin) = tool("haproxy", "-v") else { return };
    let out = Command::new(bin).args(["-c", "-f"]).arg(deploy().join("haproxy.cfg")).output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let cfg = read("haproxy.cfg");
    for needed in ["send-proxy-v2", "check-send-proxy", "uri /readyz", "retry-on"] {
        assert!(cfg.contains(needed), "haproxy.cfg lacks {needed}");
    }
}

#[test]
fn nginx_accepts_its_configuration() {
    let Some(bin) = tool("nginx", "-v") else { return };
    let dir = std::env::temp_dir().join(format!("http-rs-deploy-nginx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Only the check: the pid file and the logs go to a scratch folder.
    let g = format!("pid {0}/nginx.pid; error_log {0}/error.log;", dir.display());
    let out = Command::new(bin)
        .args(["-t", "-p"])
        .arg(&dir)
        .arg("-c")
        .arg(deploy().join("nginx.conf"))
        .args(["-g", &g])
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cfg = read("nginx.conf");
    assert!(
        cfg.contains("X-Forwarded-For $proxy_add_x_forwarded_for"),
        "nginx.conf appends the peer to X-Forwarded-For"
    );
}

/// The value after `key` (a YAML `key: value` or the list item after `- --flag`).
fn after<'a>(text: &'a str, key: &str) -> &'a str {
    let at = text.find(key).unwrap_or_else(|| panic!("{key} not found"));
    let rest = text[at + key.len()..].trim_start_matches([':', ' ', '\n', '-', '"']);
    rest.split(|c: char| !c.is_ascii_alphanumeric() && c != '/' && c != '.').next().unwrap()
}

#[test]
fn kubernetes_timing_and_probes_agree_with_the_server() {
    let deployment = read("k8s/deployment.yaml");
    let dockerfile = read("Dockerfile");
    let drain: u64 = after(&deployment, "- --drain\n").parse().unwrap();
    let pre_stop: u64 = after(&deployment, "seconds:").parse().unwrap();
    let grace: u64 = after(&deployment, "terminationGracePeriodSeconds:").parse().unwrap();
    let shutdown_timeout = 10; // ServerOptions' default graceful-close deadline
    assert!(pre_stop + drain + shutdown_timeout < grace, "{pre_stop} + {drain} + {shutdown_timeout} < {grace}");
    assert!(dockerfile.contains(&format!("\"--drain\", \"{drain}\"")), "the image's default --drain is the manifest's");
    assert!(deployment.contains("- --health") && dockerfile.contains("\"--health\""));
    assert_eq!(after(&deployment, "livenessProbe:\n            httpGet:\n              path"), "/healthz");
    assert_eq!(after(&deployment, "readinessProbe:\n            httpGet:\n              path"), "/readyz");
    // Non-root, in the image and in the pod.
    assert!(dockerfile.contains("USER 65532:65532") && dockerfile.contains("distroless/static"));
    assert!(deployment.contains("runAsNonRoot: true"));
    let service = read("k8s/service.yaml");
    assert!(service.contains("kind: Service") && service.contains("targetPort: http"));
}
