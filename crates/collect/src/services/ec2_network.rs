//! EC2 networking: security groups (rules flattened to one source each),
//! network ACLs, VPCs with their flow logs, and subnets with the route
//! tables that make them public.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ec2::types::{IpPermission, RouteTable};
use serde_json::{Value, json};

use super::ec2::tags;
use crate::scope::{Output, Scope, all_items, opt_str, put};

pub(crate) const SECURITY_GROUP: &str = "aws.ec2.security_group";
pub(crate) const NETWORK_ACL: &str = "aws.ec2.network_acl";
pub(crate) const VPC: &str = "aws.ec2.vpc";
pub(crate) const SUBNET: &str = "aws.ec2.subnet";

/// Collects the network resources and returns, per subnet id, whether it is
/// public (routes 0.0.0.0/0 or ::/0 to an internet gateway).
pub(crate) async fn collect(
    scope: &Scope,
    client: &aws_sdk_ec2::Client,
    out: &mut Output,
) -> HashMap<String, bool> {
    let (sgs, enis, nacls, vpcs, flow_logs, subnets, routes) = tokio::join!(
        all_items!(client.describe_security_groups()),
        all_items!(client.describe_network_interfaces()),
        all_items!(client.describe_network_acls()),
        all_items!(client.describe_vpcs()),
        all_items!(client.describe_flow_logs()),
        all_items!(client.describe_subnets()),
        all_items!(client.describe_route_tables()),
    );

    // Network interfaces per security group; unknown when the listing failed.
    let eni_counts: Option<HashMap<String, usize>> = match enis {
        Ok(enis) => {
            let mut m = HashMap::new();
            for e in &enis {
                for g in e.groups() {
                    if let Some(id) = g.group_id() {
                        *m.entry(id.to_string()).or_insert(0) += 1;
                    }
                }
            }
            Some(m)
        }
        Err(_) => None,
    };

    match sgs {
        Ok(sgs) => {
            for sg in sgs {
                let id = sg.group_id().unwrap_or_default();
                let name = sg.group_name().unwrap_or_default();
                let mut r = scope.resource(
                    SECURITY_GROUP,
                    scope.arn("ec2", &format!("security-group/{id}")),
                    name,
                );
                r.tags = tags(sg.tags());
                put(
                    &mut r,
                    json!({
                        "group_id": id,
                        "group_name": name,
                        "description": opt_str(sg.description()),
                        "vpc_id": opt_str(sg.vpc_id()),
                        "is_default": name == "default",
                        "ingress": flatten(sg.ip_permissions()),
                        "egress": flatten(sg.ip_permissions_egress()),
                    }),
                );
                if let (Some(counts), Value::Object(m)) = (&eni_counts, &mut r.props) {
                    m.insert(
                        "attached_enis".into(),
                        json!(counts.get(id).copied().unwrap_or(0)),
                    );
                }
                out.resources.push(r);
            }
        }
        Err(f) => out.fail(scope, &[SECURITY_GROUP], "ec2:DescribeSecurityGroups", f),
    }

    match nacls {
        Ok(nacls) => {
            for n in nacls {
                let id = n.network_acl_id().unwrap_or_default();
                let mut r = scope.resource(
                    NETWORK_ACL,
                    scope.arn("ec2", &format!("network-acl/{id}")),
                    id,
                );
                r.tags = tags(n.tags());
                let entries: Vec<Value> = n
                    .entries()
                    .iter()
                    .map(|e| {
                        let proto = e.protocol().unwrap_or("-1");
                        let (from, to) = match (proto, e.port_range()) {
                            ("-1", _) | (_, None) => (json!(0), json!(65535)),
                            (_, Some(p)) => (json!(p.from()), json!(p.to())),
                        };
                        json!({
                            "rule_number": e.rule_number(),
                            "egress": e.egress().unwrap_or(false),
                            "action": e.rule_action().map(|a| a.as_str()),
                            "protocol": protocol_name(proto),
                            "from_port": from,
                            "to_port": to,
                            "cidr_ipv4": opt_str(e.cidr_block()),
                            "cidr_ipv6": opt_str(e.ipv6_cidr_block()),
                        })
                    })
                    .collect();
                put(
                    &mut r,
                    json!({
                        "network_acl_id": id,
                        "vpc_id": opt_str(n.vpc_id()),
                        "is_default": n.is_default().unwrap_or(false),
                        "entries": entries,
                        "subnets": n.associations().iter().filter_map(|a| a.subnet_id()).collect::<Vec<_>>(),
                    }),
                );
                out.resources.push(r);
            }
        }
        Err(f) => out.fail(scope, &[NETWORK_ACL], "ec2:DescribeNetworkAcls", f),
    }

    let mut logs_by_vpc: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let flow_logs_ok = match flow_logs {
        Ok(fl) => {
            for f in fl {
                if let Some(res) = f.resource_id() {
                    logs_by_vpc.entry(res.to_string()).or_default().push(json!({
                        "id": f.flow_log_id(),
                        "status": f.flow_log_status(),
                        "traffic_type": f.traffic_type().map(|t| t.as_str()),
                        "destination_type": f.log_destination_type().map(|t| t.as_str()),
                    }));
                }
            }
            Ok(())
        }
        Err(f) => Err(f),
    };
    match vpcs {
        Ok(vpcs) => {
            for v in vpcs {
                let id = v.vpc_id().unwrap_or_default();
                let mut r = scope.resource(VPC, scope.arn("ec2", &format!("vpc/{id}")), id);
                r.tags = tags(v.tags());
                put(
                    &mut r,
                    json!({"vpc_id": id, "cidr_block": opt_str(v.cidr_block()), "is_default": v.is_default().unwrap_or(false)}),
                );
                match &flow_logs_ok {
                    Ok(()) => {
                        let logs = logs_by_vpc.remove(id).unwrap_or_default();
                        let active = logs.iter().any(|l| l["status"] == "ACTIVE");
                        put(
                            &mut r,
                            json!({"flow_logs": logs, "flow_logs_enabled": active}),
                        );
                    }
                    Err(f) => {
                        for p in ["flow_logs", "flow_logs_enabled"] {
                            crate::scope::set_prop(
                                &mut r,
                                p,
                                "ec2:DescribeFlowLogs",
                                Err(f.clone()),
                            );
                        }
                    }
                }
                out.resources.push(r);
            }
        }
        Err(f) => out.fail(scope, &[VPC], "ec2:DescribeVpcs", f),
    }

    let mut public = HashMap::new();
    let routes = match routes {
        Ok(r) => Some(r),
        Err(f) => {
            out.fail(
                scope,
                &[SUBNET, super::ec2::INSTANCE],
                "ec2:DescribeRouteTables",
                f,
            );
            None
        }
    };
    match subnets {
        Ok(subnets) => {
            for s in subnets {
                let id = s.subnet_id().unwrap_or_default();
                let vpc = s.vpc_id().unwrap_or_default();
                let is_public = routes.as_deref().map(|rt| subnet_is_public(rt, id, vpc));
                if let Some(p) = is_public {
                    public.insert(id.to_string(), p);
                }
                let mut r = scope.resource(SUBNET, scope.arn("ec2", &format!("subnet/{id}")), id);
                r.tags = tags(s.tags());
                put(
                    &mut r,
                    json!({
                        "subnet_id": id,
                        "vpc_id": vpc,
                        "cidr_block": opt_str(s.cidr_block()),
                        "availability_zone": opt_str(s.availability_zone()),
                        "map_public_ip_on_launch": s.map_public_ip_on_launch().unwrap_or(false),
                        "default_for_az": s.default_for_az().unwrap_or(false),
                        "public": is_public,
                    }),
                );
                out.resources.push(r);
            }
        }
        Err(f) => out.fail(
            scope,
            &[SUBNET, super::ec2::INSTANCE],
            "ec2:DescribeSubnets",
            f,
        ),
    }
    public
}

/// A subnet is public when its route table (its own association, else the
/// VPC's main table) sends a default route to an internet gateway.
pub(crate) fn subnet_is_public(tables: &[RouteTable], subnet: &str, vpc: &str) -> bool {
    let own = tables.iter().find(|t| {
        t.associations()
            .iter()
            .any(|a| a.subnet_id() == Some(subnet))
    });
    let table = own.or_else(|| {
        tables.iter().find(|t| {
            t.vpc_id() == Some(vpc) && t.associations().iter().any(|a| a.main().unwrap_or(false))
        })
    });
    table.is_some_and(|t| {
        t.routes().iter().any(|r| {
            let default = r.destination_cidr_block() == Some("0.0.0.0/0")
                || r.destination_ipv6_cidr_block() == Some("::/0");
            default && r.gateway_id().is_some_and(|g| g.starts_with("igw-"))
        })
    })
}

pub(crate) fn protocol_name(p: &str) -> &str {
    match p {
        "-1" | "all" => "all",
        "6" => "tcp",
        "17" => "udp",
        "1" => "icmp",
        "58" => "icmpv6",
        other => other,
    }
}

/// One rule per source, as docs/resources.md describes.
pub(crate) fn flatten(perms: &[IpPermission]) -> Value {
    let mut rules = Vec::new();
    for p in perms {
        let proto = protocol_name(p.ip_protocol().unwrap_or("-1"));
        let (from, to) = if proto == "all" {
            (Some(0), Some(65535))
        } else {
            (p.from_port(), p.to_port())
        };
        let base = |desc: Option<&str>| {
            json!({
                "protocol": proto, "from_port": from, "to_port": to,
                "cidr_ipv4": null, "cidr_ipv6": null, "source_group_id": null, "prefix_list_id": null,
                "description": opt_str(desc),
            })
        };
        let mut push = |key: &str, value: Option<&str>, desc: Option<&str>| {
            let mut r = base(desc);
            r[key] = opt_str(value);
            rules.push(r);
        };
        for r in p.ip_ranges() {
            push("cidr_ipv4", r.cidr_ip(), r.description());
        }
        for r in p.ipv6_ranges() {
            push("cidr_ipv6", r.cidr_ipv6(), r.description());
        }
        for r in p.user_id_group_pairs() {
            push("source_group_id", r.group_id(), r.description());
        }
        for r in p.prefix_list_ids() {
            push("prefix_list_id", r.prefix_list_id(), r.description());
        }
    }
    Value::Array(rules)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::{IpRange, Ipv6Range, Route, RouteTableAssociation};

    #[test]
    fn rules_flatten_to_one_source_each() {
        let p = IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(22)
            .to_port(22)
            .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
            .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
            .build();
        let all = IpPermission::builder().ip_protocol("-1").build();
        let v = flatten(&[p, all]);
        assert_eq!(v.as_array().map(Vec::len), Some(2));
        assert_eq!(v[0]["cidr_ipv4"], "0.0.0.0/0");
        assert_eq!(v[0]["cidr_ipv6"], Value::Null);
        assert_eq!(v[1]["cidr_ipv6"], "::/0");
        assert_eq!(v[1]["from_port"], 22);
        let empty = flatten(&[IpPermission::builder()
            .ip_protocol("-1")
            .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/8").build())
            .build()]);
        assert_eq!(empty[0]["protocol"], "all");
        assert_eq!(empty[0]["to_port"], 65535);
    }

    #[test]
    fn public_subnets_route_to_an_internet_gateway() {
        let main = RouteTable::builder()
            .vpc_id("vpc-1")
            .associations(RouteTableAssociation::builder().main(true).build())
            .routes(
                Route::builder()
                    .destination_cidr_block("10.0.0.0/16")
                    .gateway_id("local")
                    .build(),
            )
            .build();
        let public = RouteTable::builder()
            .vpc_id("vpc-1")
            .associations(
                RouteTableAssociation::builder()
                    .subnet_id("subnet-pub")
                    .build(),
            )
            .routes(
                Route::builder()
                    .destination_cidr_block("0.0.0.0/0")
                    .gateway_id("igw-1")
                    .build(),
            )
            .build();
        let tables = [main, public];
        assert!(subnet_is_public(&tables, "subnet-pub", "vpc-1"));
        assert!(!subnet_is_public(&tables, "subnet-priv", "vpc-1"));
    }
}
