//! AWS Config: the configuration recorder of each region (one resource per
//! account and region, present or not, so "Config is off in X" is a fact).

use serde_json::json;

use super::Service;
use crate::failure::classify;
use crate::scope::{Output, Scope, opt_str, put, set_prop, ts};

pub(crate) const RECORDER: &str = "aws.config.recorder";

pub(crate) const SERVICE: Service = Service {
    name: "config",
    global: false,
    types: &[RECORDER],
    collect: |s| Box::pin(collect(s)),
};

async fn collect(scope: Scope) -> Output {
    let client = scope.config();
    let mut out = Output::default();
    let (recorders, status, channels) = tokio::join!(
        client.describe_configuration_recorders().send(),
        client.describe_configuration_recorder_status().send(),
        client.describe_delivery_channels().send(),
    );
    let recorders = match recorders {
        Ok(r) => r.configuration_recorders.unwrap_or_default(),
        Err(e) => {
            out.fail(
                &scope,
                &[RECORDER],
                "config:DescribeConfigurationRecorders",
                classify(&e),
            );
            return out;
        }
    };
    let mut r = scope.resource(
        RECORDER,
        scope.arn("config", "configuration-recorder"),
        "configuration-recorder",
    );
    let rec = recorders.first();
    if let Some(rec) = rec {
        r.name = rec.name().unwrap_or("default").to_string();
    }
    let group = rec.and_then(|r| r.recording_group());
    put(
        &mut r,
        json!({
            "exists": rec.is_some(),
            "name": opt_str(rec.and_then(|r| r.name())),
            "all_supported": group.is_some_and(|g| g.all_supported()),
            "include_global_resource_types": group.is_some_and(|g| g.include_global_resource_types()),
        }),
    );
    let name = rec.and_then(|r| r.name()).map(str::to_string);
    match status {
        Ok(s) => {
            let st = s
                .configuration_recorders_status()
                .iter()
                .find(|s| s.name().map(str::to_string) == name);
            put(
                &mut r,
                json!({
                    "recording": st.is_some_and(|s| s.recording()),
                    "last_status": st.and_then(|s| s.last_status()).map(|s| s.as_str()),
                    "last_status_change_time": ts(st.and_then(|s| s.last_status_change_time())),
                }),
            );
        }
        Err(e) => set_prop(
            &mut r,
            "recording",
            "config:DescribeConfigurationRecorderStatus",
            Err(classify(&e)),
        ),
    }
    set_prop(
        &mut r,
        "delivery_channel",
        "config:DescribeDeliveryChannels",
        channels
            .map_err(|e| classify(&e))
            .map(|c| json!(!c.delivery_channels().is_empty())),
    );
    out.resources.push(r);
    out
}
