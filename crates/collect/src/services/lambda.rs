//! Lambda functions: runtime, role, environment, resource policy and
//! function URL (public when its auth type is `NONE`).

use futures_util::StreamExt;
use serde_json::{Value, json};

use super::Service;
use crate::failure::{Failure, classify};
use crate::policy;
use crate::scope::{Output, Scope, all_items, opt_str, put, set_prop};
use crate::secrets;

pub(crate) const FUNCTION: &str = "aws.lambda.function";

pub(crate) const SERVICE: Service = Service {
    name: "lambda",
    global: false,
    types: &[FUNCTION],
    collect: |s| Box::pin(collect(s)),
};

async fn collect(scope: Scope) -> Output {
    let client = scope.lambda();
    let mut out = Output::default();
    let functions = match all_items!(client.list_functions()).await {
        Ok(f) => f,
        Err(f) => {
            out.fail(&scope, &[FUNCTION], "lambda:ListFunctions", f);
            return out;
        }
    };
    let built = futures_util::stream::iter(functions)
        .map(|f| {
            let (scope, client) = (&scope, &client);
            async move {
                let name = f.function_name().unwrap_or_default().to_string();
                let arn = f
                    .function_arn()
                    .map(str::to_string)
                    .unwrap_or_else(|| scope.arn("lambda", &format!("function:{name}")));
                let mut r = scope.resource(FUNCTION, arn.clone(), name.clone());
                // Never store a secret: secret values are redacted.
                let mut vars: Vec<(&str, &str)> = f
                    .environment()
                    .and_then(|e| e.variables())
                    .map(|v| v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect())
                    .unwrap_or_default();
                vars.sort_unstable();
                let (vars, found) = secrets::redact_vars(vars);
                let env: serde_json::Map<String, Value> =
                    vars.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
                let env_secrets: Vec<Value> = found
                    .into_iter()
                    .map(|s| json!({"variable": s.variable, "kind": s.kind}))
                    .collect();
                put(
                    &mut r,
                    json!({
                        "runtime": f.runtime().map(|r| r.as_str()),
                        "handler": opt_str(f.handler()),
                        "role": opt_str(f.role()),
                        "timeout": f.timeout(),
                        "memory_size": f.memory_size(),
                        "last_modified": opt_str(f.last_modified()),
                        "package_type": f.package_type().map(|p| p.as_str()),
                        "kms_key_arn": opt_str(f.kms_key_arn()),
                        "vpc_id": opt_str(f.vpc_config().and_then(|v| v.vpc_id())),
                        "tracing_mode": f.tracing_config().and_then(|t| t.mode()).map(|m| m.as_str()),
                        "environment": env,
                        "environment_secrets": env_secrets,
                    }),
                );
                let (pol, urls, tags) = tokio::join!(
                    client.get_policy().function_name(&name).send(),
                    client.get_function_url_config().function_name(&name).send(),
                    client.list_tags().resource(&arn).send(),
                );
                let not_found = |f: Failure| if f.is("ResourceNotFoundException") { Ok(Value::Null) } else { Err(f) };
                set_prop(
                    &mut r,
                    "policy",
                    "lambda:GetPolicy",
                    pol.map_err(|e| classify(&e))
                        .map(|p| p.policy().map(policy::parse).unwrap_or(Value::Null))
                        .or_else(not_found),
                );
                set_prop(
                    &mut r,
                    "url_auth_type",
                    "lambda:GetFunctionUrlConfig",
                    urls.map_err(|e| classify(&e))
                        .map(|u| Value::String(u.auth_type().as_str().to_string()))
                        .or_else(not_found),
                );
                match tags {
                    Ok(t) => r.tags = t.tags.unwrap_or_default().into_iter().collect(),
                    Err(e) => set_prop(&mut r, "tags", "lambda:ListTags", Err(classify(&e))),
                }
                r
            }
        })
        .buffer_unordered(scope.fanout())
        .collect::<Vec<_>>()
        .await;
    out.resources.extend(built);
    out
}
