//! The scrape: the atomics read into `prometheus-client`'s encoder, through a
//! [`Collector`] registered once, and written in the Prometheus text format.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use super::handle::{Inner, Metrics, Protocol};
use super::table::BUCKETS_US;

/// The `Content-Type` of [`Metrics::render`]'s text (Prometheus text format 0.0.4).
///
/// ```
/// assert!(http_core::metrics::CONTENT_TYPE.starts_with("text/plain; version=0.0.4"));
/// ```
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// What the collector reads at each scrape.
#[derive(Debug)]
struct Scrape(Metrics);

/// One route's series, merged over its slots.
#[derive(Default)]
struct RouteSeries {
    statuses: BTreeMap<u16, u64>,
    sum: f64,
    count: u64,
    buckets: Vec<(f64, u64)>,
}

fn status_label(code: u16) -> String {
    if code == 0 { "other".to_owned() } else { code.to_string() }
}

impl Collector for Scrape {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let inner: &Inner = &self.0.inner;
        let mut routes: BTreeMap<&str, RouteSeries> = BTreeMap::new();
        for (route, slot) in inner.routes.used() {
            let series = routes.entry(route).or_default();
            for (code, n) in slot.statuses().filter(|(_, n)| *n > 0) {
                *series.statuses.entry(code).or_default() += n;
            }
            let (sum, count, buckets) = slot.histogram();
            series.sum += sum;
            series.count += count;
            if series.buckets.is_empty() {
                series.buckets = buckets;
            } else {
                for (mine, theirs) in series.buckets.iter_mut().zip(buckets) {
                    mine.1 += theirs.1;
                }
            }
        }

        let mut m = encoder.encode_descriptor(
            "http_requests",
            "Requests answered, by matched route pattern and status",
            None,
            MetricType::Counter,
        )?;
        for (route, series) in &routes {
            for (code, n) in &series.statuses {
                let labels = [("route", route.to_string()), ("status", status_label(*code))];
                m.encode_family(&labels)?.encode_counter::<NoLabelSet, _, u64>(n, None)?;
            }
        }
        let mut m = encoder.encode_descriptor(
            "http_request_duration_seconds",
            "Time from the request head to the end of the response",
            None,
            MetricType::Histogram,
        )?;
        for (route, series) in &routes {
            let labels = [("route", route.to_string())];
            m.encode_family(&labels)?.encode_histogram::<NoLabelSet>(
                series.sum,
                series.count,
                &series.buckets,
                None,
            )?;
        }
        if routes.is_empty() {
            // An empty histogram for no route, so the series exists from the start.
            let empty: Vec<(f64, u64)> =
                BUCKETS_US.iter().map(|&us| (us as f64 / 1e6, 0)).chain([(f64::INFINITY, 0)]).collect();
            let labels = [("route", String::new())];
            m.encode_family(&labels)?.encode_histogram::<NoLabelSet>(0.0, 0, &empty, None)?;
        }

        let mut m = encoder.encode_descriptor("http_connections_open", "Open connections", None, MetricType::Gauge)?;
        for p in Protocol::ALL {
            let labels = [("protocol", p.label())];
            m.encode_family(&labels)?.encode_gauge(&inner.open[p as usize].load(Ordering::Relaxed))?;
        }
        let mut m = encoder.encode_descriptor("http_connections", "Connections accepted", None, MetricType::Counter)?;
        for p in Protocol::ALL {
            let labels = [("protocol", p.label())];
            let n = inner.accepted[p as usize].load(Ordering::Relaxed);
            m.encode_family(&labels)?.encode_counter::<NoLabelSet, _, u64>(&n, None)?;
        }
        let plain: [(&str, &str, u64); 4] = [
            ("http_received_bytes", "Bytes received from clients", inner.received.load(Ordering::Relaxed)),
            ("http_sent_bytes", "Bytes sent to clients", inner.sent.load(Ordering::Relaxed)),
            ("http_handler_timeouts", "Handlers cut off by a timeout (process-wide)", super::handler_timeouts()),
            ("http_handler_panics", "Handler panics caught (process-wide)", super::handler_panics()),
        ];
        for (name, help, n) in plain {
            encoder
                .encode_descriptor(name, help, None, MetricType::Counter)?
                .encode_counter::<NoLabelSet, _, u64>(&n, None)?;
        }
        let mut m =
            encoder.encode_descriptor("http_tls_handshakes", "TLS handshakes, by result", None, MetricType::Counter)?;
        for (result, n) in [("ok", &inner.tls_ok), ("failed", &inner.tls_failed)] {
            let labels = [("result", result)];
            m.encode_family(&labels)?.encode_counter::<NoLabelSet, _, u64>(&n.load(Ordering::Relaxed), None)?;
        }
        Ok(())
    }
}

impl Metrics {
    /// The exposition: every series in the Prometheus text format ([`CONTENT_TYPE`]).
    ///
    /// ```
    /// let text = http_core::metrics::Metrics::new().render();
    /// assert!(text.contains("# TYPE http_requests_total counter"), "{text}");
    /// assert!(text.contains("# TYPE http_request_duration_seconds histogram"), "{text}");
    /// ```
    pub fn render(&self) -> String {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(Scrape(self.clone())));
        let mut out = String::with_capacity(4096);
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[test]
    fn exposition_table() {
        let m = Metrics::new();
        let route: Arc<str> = Arc::from("/items/{id}");
        let again: Arc<str> = Arc::from("/items/{id}");
        m.request(Some(&route), 200, Duration::from_millis(2));
        m.request(Some(&again), 200, Duration::from_millis(2));
        m.request(Some(&route), 500, Duration::from_secs(1));
        m.tls_handshake(true);
        m.bytes(100, 0);
        let text = m.render();
        let rows = [
            r#"http_requests_total{route="/items/{id}",status="200"} 2"#,
            r#"http_requests_total{route="/items/{id}",status="500"} 1"#,
            r#"http_request_duration_seconds_bucket{route="/items/{id}",le="0.0025"} 2"#,
            r#"http_request_duration_seconds_bucket{route="/items/{id}",le="+Inf"} 3"#,
            r#"http_request_duration_seconds_count{route="/items/{id}"} 3"#,
            r#"http_tls_handshakes_total{result="ok"} 1"#,
            r#"http_tls_handshakes_total{result="failed"} 0"#,
            "http_received_bytes_total 100",
            "http_sent_bytes_total 0",
            r#"http_connections_open{protocol="http2"} 0"#,
        ];
        for line in rows {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
        // Merged: one series per route and status, however many slots held it.
        assert_eq!(text.matches(r#"status="200""#).count(), 1, "{text}");
    }
}
