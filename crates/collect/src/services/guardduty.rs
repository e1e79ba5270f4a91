//! GuardDuty: the detector of each region (one resource per account and
//! region, present or not).

use serde_json::json;

use super::Service;
use crate::failure::classify;
use crate::scope::{Output, Scope, put, set_prop};

pub(crate) const DETECTOR: &str = "aws.guardduty.detector";

pub(crate) const SERVICE: Service = Service {
    name: "guardduty",
    global: false,
    types: &[DETECTOR],
    collect: |s| Box::pin(collect(s)),
};

async fn collect(scope: Scope) -> Output {
    let client = scope.guardduty();
    let mut out = Output::default();
    let ids = match client.list_detectors().send().await {
        Ok(o) => o.detector_ids.unwrap_or_default(),
        Err(e) => {
            out.fail(&scope, &[DETECTOR], "guardduty:ListDetectors", classify(&e));
            return out;
        }
    };
    // A region has at most one detector.
    let Some(id) = ids.first() else {
        let mut r = scope.resource(DETECTOR, scope.arn("guardduty", "detector"), "detector");
        put(
            &mut r,
            json!({"exists": false, "enabled": false, "detector_id": null}),
        );
        out.resources.push(r);
        return out;
    };
    let mut r = scope.resource(
        DETECTOR,
        scope.arn("guardduty", &format!("detector/{id}")),
        id.clone(),
    );
    put(&mut r, json!({"exists": true, "detector_id": id}));
    match client.get_detector().detector_id(id).send().await {
        Ok(d) => {
            let status = d.status().map(|s| s.as_str());
            put(
                &mut r,
                json!({
                    "status": status,
                    "enabled": status == Some("ENABLED"),
                    "finding_publishing_frequency": d.finding_publishing_frequency().map(|f| f.as_str()),
                }),
            );
            r.tags = d.tags().cloned().unwrap_or_default().into_iter().collect();
        }
        Err(e) => set_prop(
            &mut r,
            "enabled",
            "guardduty:GetDetector",
            Err(classify(&e)),
        ),
    }
    out.resources.push(r);
    out
}
