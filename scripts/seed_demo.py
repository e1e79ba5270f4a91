#!/usr/bin/env python3
"""Plant a small, realistic company account in the moto emulator.

Every misconfiguration the collectors cover is planted beside a compliant
twin, in ap-northeast-2 and us-east-1 (IAM and the account settings once).
The manifest printed on stdout (JSON) lists what was planted:

  {"account": "...", "regions": [...], "scale": N,
   "counts": {"aws.s3.bucket": 10, ...},          # exact, for count assertions
   "bad":  [{"type", "name", "region", "issue"}],  # should fail a rule
   "good": [{"type", "name", "region", "issue"}]}  # should pass the same rule

Usage: seed_demo.py [--endpoint http://127.0.0.1:5000] [--scale N]
The emulator's state is reset first (POST /moto-api/reset).
Needs boto3 (scripts/moto.sh install puts it in the project virtualenv).
Only ever talks to the given endpoint, with fake credentials.
"""

import argparse
import io
import json
import os
import sys
import zipfile
from collections import Counter

import urllib.request

import boto3
from botocore.exceptions import ClientError

REGIONS = ["ap-northeast-2", "us-east-1"]
SECRET_USER_DATA = """#!/bin/bash
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
export DB_PASSWORD=hunter2
yum install -y httpd
"""
CLEAN_USER_DATA = """#!/bin/bash
yum install -y nginx
systemctl enable --now nginx
"""
ADMIN_DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
READ_REPORTS_DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::acme-reports/*"}],
}


class Seed:
    def __init__(self, endpoint, scale):
        self.endpoint = endpoint
        self.scale = scale
        self.bad = []
        self.good = []
        self.counts = Counter()
        self.session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )

    def client(self, service, region="us-east-1"):
        client = self.session.client(service, region_name=region, endpoint_url=self.endpoint)
        if service == "s3control":
            # S3 Control puts the account id into the host name
            # (<account>.127.0.0.1), which a loopback emulator cannot
            # answer: send it to the endpoint as given.
            host = self.endpoint.split("//", 1)[-1]

            def flat_host(request, **_):
                scheme, rest = request.url.split("//", 1)
                request.url = f"{scheme}//{host}/{rest.split('/', 1)[1]}"

            client.meta.events.register("before-sign.s3-control.*", flat_host)
        return client

    def n(self, per_scale):
        """How many of a repeated resource to make: one at SCALE=1, and
        per_scale more for each step above, so SCALE=10 is roughly ten
        times the account (about 1,300 resources)."""
        return 1 + per_scale * (self.scale - 1)

    def plant(self, kind, rtype, name, region, issue):
        (self.bad if kind == "bad" else self.good).append(
            {"type": rtype, "name": name, "region": region, "issue": issue}
        )

    # ---------------------------------------------------------------- IAM
    def iam(self):
        iam = self.client("iam")
        g = "global"
        iam.update_account_password_policy(MinimumPasswordLength=6, RequireSymbols=False)
        self.plant("bad", "aws.iam.password_policy", "password-policy", g, "minimum length 6, no symbols")

        admin_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
        full = iam.create_policy(PolicyName="full-admin", PolicyDocument=json.dumps(ADMIN_DOC))["Policy"]["Arn"]
        iam.create_policy(PolicyName="s3-read-reports", PolicyDocument=json.dumps(READ_REPORTS_DOC))
        self.counts["aws.iam.policy"] += 2
        self.plant("bad", "aws.iam.policy", "full-admin", g, "allows *:*")
        self.plant("good", "aws.iam.policy", "s3-read-reports", g, "scoped to one bucket")

        iam.create_group(GroupName="admins")
        iam.put_group_policy(GroupName="admins", PolicyName="everything", PolicyDocument=json.dumps(ADMIN_DOC))
        iam.create_group(GroupName="readonly")
        iam.attach_group_policy(GroupName="readonly", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
        self.counts["aws.iam.group"] += 2
        self.plant("bad", "aws.iam.group", "admins", g, "inline policy allows *:*")
        self.plant("good", "aws.iam.group", "readonly", g, "AWS ReadOnlyAccess only")

        # Console user without MFA, admin, with an access key.
        iam.create_user(UserName="alice-admin", Tags=[{"Key": "team", "Value": "platform"}])
        iam.create_login_profile(UserName="alice-admin", Password="Sup3r-secret!")
        iam.attach_user_policy(UserName="alice-admin", PolicyArn=admin_arn)
        iam.attach_user_policy(UserName="alice-admin", PolicyArn=full)
        iam.attach_user_policy(UserName="alice-admin", PolicyArn="arn:aws:iam::aws:policy/AWSCloudShellFullAccess")
        iam.add_user_to_group(UserName="alice-admin", GroupName="admins")
        iam.create_access_key(UserName="alice-admin")
        self.plant("bad", "aws.iam.user", "alice-admin", g, "console access without MFA; AdministratorAccess")

        # Console user with a virtual MFA device.
        iam.create_user(UserName="bob-mfa")
        iam.create_login_profile(UserName="bob-mfa", Password="Sup3r-secret!")
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="bob-mfa")["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(
            UserName="bob-mfa", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
        )
        iam.add_user_to_group(UserName="bob-mfa", GroupName="readonly")
        self.plant("good", "aws.iam.user", "bob-mfa", g, "console access with MFA")

        # Programmatic user with two active keys (CIS: one active key at most);
        # its twin rotated properly and keeps one active, one inactive.
        iam.create_user(UserName="svc-deploy", Path="/service/")
        iam.create_access_key(UserName="svc-deploy")
        iam.create_access_key(UserName="svc-deploy")
        iam.put_user_policy(UserName="svc-deploy", PolicyName="deploy", PolicyDocument=json.dumps(READ_REPORTS_DOC))
        self.plant("bad", "aws.iam.user", "svc-deploy", g, "two active access keys")
        iam.create_user(UserName="svc-rotated", Path="/service/")
        iam.create_access_key(UserName="svc-rotated")
        k2 = iam.create_access_key(UserName="svc-rotated")["AccessKey"]["AccessKeyId"]
        iam.update_access_key(UserName="svc-rotated", AccessKeyId=k2, Status="Inactive")
        iam.add_user_to_group(UserName="svc-rotated", GroupName="readonly")
        self.plant("good", "aws.iam.user", "svc-rotated", g, "one active key, one inactive; permissions through a group")
        self.counts["aws.iam.user"] += 4

        for i in range(self.n(25)):
            name = f"dev-{i:03d}"
            iam.create_user(UserName=name)
            iam.add_user_to_group(UserName=name, GroupName="readonly")
            if i % 2 == 0:
                iam.create_login_profile(UserName=name, Password="Sup3r-secret!")
            self.counts["aws.iam.user"] += 1
            iam.create_group(GroupName=f"team-{i:03d}")
            self.counts["aws.iam.group"] += 1

        trust_any = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
        }
        trust_ec2 = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
        }
        iam.create_role(RoleName="cross-account-any", AssumeRolePolicyDocument=json.dumps(trust_any))
        iam.attach_role_policy(RoleName="cross-account-any", PolicyArn=admin_arn)
        iam.create_role(RoleName="ec2-app-role", AssumeRolePolicyDocument=json.dumps(trust_ec2))
        iam.attach_role_policy(RoleName="ec2-app-role", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
        self.counts["aws.iam.role"] += 2
        self.plant("bad", "aws.iam.role", "cross-account-any", g, "trusts any principal (*)")
        self.plant("good", "aws.iam.role", "ec2-app-role", g, "trusts ec2.amazonaws.com")
        trust_lambda = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
        }
        iam.create_role(RoleName="lambda-exec", AssumeRolePolicyDocument=json.dumps(trust_lambda))
        self.counts["aws.iam.role"] += 1
        self.profile_arn = iam.create_instance_profile(InstanceProfileName="ec2-app-profile")["InstanceProfile"]["Arn"]
        iam.add_role_to_instance_profile(InstanceProfileName="ec2-app-profile", RoleName="ec2-app-role")

        iam.create_saml_provider(Name="corp-okta", SAMLMetadataDocument="<md:EntityDescriptor>" + "x" * 1000 + "</md:EntityDescriptor>")
        github = iam.create_open_id_connect_provider(
            Url="https://token.actions.githubusercontent.com",
            ClientIDList=["sts.amazonaws.com"],
            ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"],
        )["OpenIDConnectProviderArn"]

        # GitHub Actions deploy roles: any repository on GitHub may assume the
        # first; the second is pinned to one repository's main branch.
        def github_trust(sub=None):
            cond = {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}
            if sub:
                cond["StringLike"] = {"token.actions.githubusercontent.com:sub": sub}
            return json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Federated": github},
                "Action": "sts:AssumeRoleWithWebIdentity", "Condition": cond,
            }]})
        iam.create_role(RoleName="gha-deploy-any-repo", AssumeRolePolicyDocument=github_trust())
        iam.create_role(RoleName="gha-deploy", AssumeRolePolicyDocument=github_trust("repo:acme/app:ref:refs/heads/main"))
        self.counts["aws.iam.role"] += 2
        self.plant("bad", "aws.iam.role", "gha-deploy-any-repo", g, "GitHub Actions OIDC trust without a sub condition")
        self.plant("good", "aws.iam.role", "gha-deploy", g, "GitHub Actions OIDC trust pinned to one repository")
        self.counts["aws.iam.saml_provider"] += 1
        self.counts["aws.iam.oidc_provider"] += 1
        self.counts["aws.iam.password_policy"] += 1
        self.counts["aws.account.summary"] += 1

    # ----------------------------------------------------------------- S3
    def s3(self, region, account):
        s3 = self.client("s3", region)
        sfx = region.replace("-", "")

        def create(name, **kw):
            args = {"Bucket": name, **kw}
            if region != "us-east-1":
                args["CreateBucketConfiguration"] = {"LocationConstraint": region}
            s3.create_bucket(**args)
            self.counts["aws.s3.bucket"] += 1

        logs = f"acme-logs-{sfx}"
        create(logs)
        s3.put_bucket_acl(Bucket=logs, ACL="log-delivery-write")
        s3.put_bucket_encryption(
            Bucket=logs,
            ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
        )

        public = f"acme-public-assets-{sfx}"
        create(public)
        s3.put_bucket_acl(Bucket=public, ACL="public-read")
        s3.put_bucket_policy(
            Bucket=public,
            Policy=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{public}/*"}],
            }),
        )
        self.plant("bad", "aws.s3.bucket", public, region, "public ACL and policy; no encryption, versioning, logging")

        secure = f"acme-secure-data-{sfx}"
        create(secure)
        self.harden(s3, secure, logs, account)
        self.plant("good", "aws.s3.bucket", secure, region, "private, encrypted (KMS), versioned, logged")

        pii_raw = f"acme-pii-raw-{sfx}"
        create(pii_raw)
        s3.put_bucket_tagging(Bucket=pii_raw, Tagging={"TagSet": [{"Key": "contains_pii", "Value": "true"}]})
        self.plant("bad", "aws.s3.bucket", pii_raw, region, "contains_pii=true without encryption")

        vault = f"acme-pii-vault-{sfx}"
        create(vault, ObjectLockEnabledForBucket=True)
        self.harden(s3, vault, logs, account)
        s3.put_bucket_tagging(Bucket=vault, Tagging={"TagSet": [{"Key": "contains_pii", "Value": "true"}]})
        # Personal data: TLS only, and readable only with MFA (the orders app roles exempted).
        s3.put_bucket_policy(Bucket=vault, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": [f"arn:aws:s3:::{vault}", f"arn:aws:s3:::{vault}/*"],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "DenyReadsWithoutMFA", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
             "Resource": f"arn:aws:s3:::{vault}/*",
             "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"},
                           "ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{account}:role/orders-*"}}},
        ]}))
        s3.put_object_lock_configuration(
            Bucket=vault,
            ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}}},
        )
        self.plant("good", "aws.s3.bucket", vault, region, "contains_pii=true, encrypted, object lock")

        for i in range(self.n(8)):
            create(f"acme-data-{sfx}-{i:03d}")

    def harden(self, s3, name, logs, account):
        s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
            },
        )
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={"Rules": [{
                "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/aws/s3"},
                "BucketKeyEnabled": True,
            }]},
        )
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_logging(
            Bucket=name, BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": logs, "TargetPrefix": f"{name}/"}}
        )
        s3.put_bucket_lifecycle_configuration(
            Bucket=name,
            LifecycleConfiguration={"Rules": [{"ID": "expire-old", "Status": "Enabled", "Filter": {"Prefix": ""},
                                               "NoncurrentVersionExpiration": {"NoncurrentDays": 90}}]},
        )
        s3.put_bucket_ownership_controls(
            Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        )
        s3.put_bucket_policy(
            Bucket=name,
            Policy=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }],
            }),
        )

    # ---------------------------------------------------------------- EC2
    def ec2(self, region):
        ec2 = self.client("ec2", region)
        vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": "acme-prod"}])
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        pub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
        priv = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.2.0/24")["Subnet"]["SubnetId"]
        rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        ec2.associate_route_table(RouteTableId=rt, SubnetId=pub)
        self.subnets[region] = {"public": pub, "private": priv}
        self.vpcs[region] = vpc

        logs = self.client("logs", region)
        logs.create_log_group(logGroupName="/vpc/flow-logs")
        ec2.create_flow_logs(
            ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogGroupName="/vpc/flow-logs",
            DeliverLogsPermissionArn="arn:aws:iam::123456789012:role/flow-logs",
        )
        self.plant("good", "aws.ec2.vpc", vpc, region, "flow logs enabled")
        default_vpc = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v.get("IsDefault")]
        if default_vpc:
            self.plant("bad", "aws.ec2.vpc", default_vpc[0], region, "default VPC without flow logs")

        open_sg = ec2.create_security_group(GroupName="open-admin", Description="legacy admin access", VpcId=vpc)["GroupId"]
        perms = []
        for port in (22, 3389, 3306, 5432, 445):
            perms.append({"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                          "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]})
        ec2.authorize_security_group_ingress(GroupId=open_sg, IpPermissions=perms)
        self.plant("bad", "aws.ec2.security_group", "open-admin", region, "SSH/RDP/MySQL/PostgreSQL/SMB open to 0.0.0.0/0 and ::/0")
        web_sg = ec2.create_security_group(GroupName="web-restricted", Description="https from corp", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(
            GroupId=web_sg,
            IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}],
        )
        # Egress to the private network only, instead of the allow-all rule AWS gives every new group.
        ec2.revoke_security_group_egress(GroupId=web_sg, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        ec2.authorize_security_group_egress(GroupId=web_sg, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
        self.plant("good", "aws.ec2.security_group", "web-restricted", region, "443 from 10.0.0.0/8 only; egress to 10.0.0.0/8 only")

        nacl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
        ec2.create_network_acl_entry(NetworkAclId=nacl, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=False,
                                     CidrBlock="0.0.0.0/0", PortRange={"From": 22, "To": 22})
        self.plant("bad", "aws.ec2.network_acl", nacl, region, "allows SSH from 0.0.0.0/0")

        # moto.sh starts moto without its stock AMIs; moto does not validate
        # image ids, so any well-formed id launches.
        stock = ec2.describe_images(Owners=["amazon"])["Images"]
        ami = stock[0]["ImageId"] if stock else "ami-0c9c942bd7bf113a2"
        legacy = ec2.run_instances(
            ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=pub, SecurityGroupIds=[open_sg],
            UserData=SECRET_USER_DATA, MetadataOptions={"HttpTokens": "optional", "HttpEndpoint": "enabled"},
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-legacy"}]}],
        )["Instances"][0]["InstanceId"]
        self.plant("bad", "aws.ec2.instance", "web-legacy", region, "IMDSv1, secrets in user data, public subnet, open SG")
        hardened = ec2.run_instances(
            ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=priv, SecurityGroupIds=[web_sg],
            UserData=CLEAN_USER_DATA, MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"},
            IamInstanceProfile={"Arn": self.profile_arn}, Monitoring={"Enabled": True},
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "app-hardened"}]}],
        )["Instances"][0]["InstanceId"]
        self.plant("good", "aws.ec2.instance", "app-hardened", region, "IMDSv2 only, clean user data, private subnet")
        self.counts["aws.ec2.instance"] += 2
        for i in range(self.n(5)):
            ec2.run_instances(
                ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=priv,
                MetadataOptions={"HttpTokens": "required"},
                TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": f"worker-{i:03d}"}]}],
            )
            self.counts["aws.ec2.instance"] += 1

        az = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
        self.region_volumes = 0

        def volume(name, encrypted):
            v = ec2.create_volume(
                AvailabilityZone=az, Size=8, Encrypted=encrypted,
                TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": name}]}],
            )["VolumeId"]
            self.counts["aws.ec2.volume"] += 1
            self.region_volumes += 1
            return v

        plain = volume("db-data-plain", False)
        self.plant("bad", "aws.ec2.volume", "db-data-plain", region, "not encrypted")
        enc = volume("db-data-encrypted", True)
        ec2.attach_volume(VolumeId=enc, InstanceId=hardened, Device="/dev/sdf")
        self.plant("good", "aws.ec2.volume", "db-data-encrypted", region, "encrypted, attached")
        for i in range(self.n(10)):
            volume(f"scratch-{i:03d}", i % 2 == 0)

        pub_snap = ec2.create_snapshot(
            VolumeId=plain, TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "Name", "Value": "db-backup-public"}]}]
        )["SnapshotId"]
        ec2.modify_snapshot_attribute(SnapshotId=pub_snap, Attribute="createVolumePermission", OperationType="add", GroupNames=["all"])
        self.plant("bad", "aws.ec2.snapshot", "db-backup-public", region, "public (createVolumePermission all)")
        ec2.create_snapshot(
            VolumeId=enc, TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "Name", "Value": "db-backup-private"}]}]
        )
        self.plant("good", "aws.ec2.snapshot", "db-backup-private", region, "private, encrypted")

        pub_ami = ec2.create_image(InstanceId=legacy, Name="web-legacy-ami")["ImageId"]
        ec2.modify_image_attribute(ImageId=pub_ami, LaunchPermission={"Add": [{"Group": "all"}]})
        self.plant("bad", "aws.ec2.image", "web-legacy-ami", region, "public AMI")
        ec2.create_image(InstanceId=hardened, Name="app-hardened-ami")
        self.plant("good", "aws.ec2.image", "app-hardened-ami", region, "private AMI")
        self.counts["aws.ec2.image"] += 2

        # Two planted snapshots plus those create_image made for the AMIs;
        # planted volumes plus the instances' root volumes.
        self.counts["aws.ec2.snapshot"] += len(ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"])
        self.counts["aws.ec2.volume"] = self.counts["aws.ec2.volume"] - self.region_volumes + len(ec2.describe_volumes()["Volumes"])

        if region == "us-east-1":
            ec2.enable_ebs_encryption_by_default()
            self.plant("good", "aws.ec2.ebs_encryption_default", "ebs-encryption-default", region, "enabled")
        else:
            self.plant("bad", "aws.ec2.ebs_encryption_default", "ebs-encryption-default", region, "disabled")

        used = ec2.allocate_address(Domain="vpc")["AllocationId"]
        ec2.associate_address(AllocationId=used, InstanceId=legacy)
        idle = ec2.allocate_address(Domain="vpc")["AllocationId"]
        self.plant("bad", "aws.ec2.elastic_ip", idle, region, "unassociated Elastic IP")
        self.plant("good", "aws.ec2.elastic_ip", used, region, "associated")
        self.counts["aws.ec2.elastic_ip"] += 2

    # ------------------------------------------------------- CloudTrail, KMS
    def cloudtrail(self, region):
        if region != "ap-northeast-2":
            return
        s3 = self.client("s3", region)
        bucket = "acme-cloudtrail-apne2"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
        self.counts["aws.s3.bucket"] += 1
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{bucket}"},
            {"Sid": "AWSCloudTrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/*",
             "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}},
        ]}))
        self.plant("bad", "aws.s3.bucket", bucket, region, "CloudTrail bucket without server access logging")
        ct = self.client("cloudtrail", region)
        key = self.client("kms", region).create_key(Description="cloudtrail")["KeyMetadata"]["Arn"]
        self.counts["aws.kms.key"] += 1
        ct.create_trail(Name="org-audit", S3BucketName=bucket, IsMultiRegionTrail=True,
                        EnableLogFileValidation=True, KmsKeyId=key, IncludeGlobalServiceEvents=True)
        ct.start_logging(Name="org-audit")
        ct.put_event_selectors(TrailName="org-audit", EventSelectors=[{
            "ReadWriteType": "All", "IncludeManagementEvents": True,
            "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
        }])
        self.plant("good", "aws.cloudtrail.trail", "org-audit", region, "multi-region, logging, validated, KMS")
        ct.create_trail(Name="legacy-trail", S3BucketName=bucket, IsMultiRegionTrail=False, EnableLogFileValidation=False)
        ct.put_event_selectors(TrailName="legacy-trail", EventSelectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}])
        self.plant("bad", "aws.cloudtrail.trail", "legacy-trail", region, "not logging, single region, no validation, write-only")
        self.counts["aws.cloudtrail.trail"] += 2

    def kms(self, region):
        kms = self.client("kms", region)
        off = kms.create_key(Description="payments key (no rotation)")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName="alias/payments", TargetKeyId=off)
        self.plant("bad", "aws.kms.key", off, region, "rotation disabled")
        on = kms.create_key(Description="app key", Tags=[{"TagKey": "team", "TagValue": "app"}])["KeyMetadata"]["KeyId"]
        kms.enable_key_rotation(KeyId=on)
        self.plant("good", "aws.kms.key", on, region, "rotation enabled")
        self.counts["aws.kms.key"] += 2
        for i in range(self.n(8)):
            k = kms.create_key(Description=f"tenant key {i}")["KeyMetadata"]["KeyId"]
            if i % 2 == 0:
                kms.enable_key_rotation(KeyId=k)
            self.counts["aws.kms.key"] += 1

    # ------------------------------------------ CloudWatch Logs, SNS, SQS
    def messaging(self, region, account):
        logs = self.client("logs", region)
        key = self.client("kms", region).create_key(Description="logs")["KeyMetadata"]["Arn"]
        logs.create_log_group(logGroupName="/app/audit", kmsKeyId=key)
        logs.put_retention_policy(logGroupName="/app/audit", retentionInDays=365)
        logs.put_metric_filter(
            logGroupName="/app/audit", filterName="root-usage",
            filterPattern='{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
            metricTransformations=[{"metricName": "RootUsage", "metricNamespace": "CISBenchmark", "metricValue": "1"}],
        )
        self.plant("good", "aws.logs.log_group", "/app/audit", region, "365-day retention, KMS, metric filter")
        self.plant("bad", "aws.logs.log_group", "/vpc/flow-logs", region, "no retention, no KMS")
        self.counts["aws.logs.log_group"] += 2

        sns = self.client("sns", region)
        public = sns.create_topic(Name="alerts-public")["TopicArn"]
        sns.set_topic_attributes(TopicArn=public, AttributeName="Policy", AttributeValue=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish", "Resource": public}],
        }))
        sns.subscribe(TopicArn=public, Protocol="http", Endpoint="http://hooks.example.invalid/alerts")
        self.plant("bad", "aws.sns.topic", "alerts-public", region, "anyone may publish; unencrypted; http subscription")
        secure = sns.create_topic(Name="alerts-secure", Attributes={"KmsMasterKeyId": "alias/aws/sns"},
                                  Tags=[{"Key": "team", "Value": "sre"}])["TopicArn"]
        self.plant("good", "aws.sns.topic", "alerts-secure", region, "KMS-encrypted, account-only policy")
        self.counts["aws.sns.topic"] += 2

        sqs = self.client("sqs", region)
        q = sqs.create_queue(QueueName="orders-public")["QueueUrl"]
        q_arn = f"arn:aws:sqs:{region}:{account}:orders-public"
        sqs.set_queue_attributes(QueueUrl=q, Attributes={"SqsManagedSseEnabled": "false", "Policy": json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": q_arn}],
        })})
        self.plant("bad", "aws.sqs.queue", "orders-public", region, "anyone may send; unencrypted")
        dlq = sqs.create_queue(QueueName="orders-dlq", Attributes={"KmsMasterKeyId": "alias/aws/sqs"})["QueueUrl"]
        sqs.create_queue(QueueName="orders-secure", Attributes={
            "KmsMasterKeyId": "alias/aws/sqs",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": f"arn:aws:sqs:{region}:{account}:orders-dlq", "maxReceiveCount": 5}),
        }, tags={"team": "orders"})
        sns.subscribe(TopicArn=secure, Protocol="sqs", Endpoint=f"arn:aws:sqs:{region}:{account}:orders-secure")
        self.plant("good", "aws.sqs.queue", "orders-secure", region, "KMS-encrypted, dead-letter queue")
        self.counts["aws.sqs.queue"] += 3
        del dlq
        for i in range(self.n(8)):
            sqs.create_queue(QueueName=f"jobs-{i:03d}")
            self.counts["aws.sqs.queue"] += 1

    # ------------------------------------------------ Config, GuardDuty
    def detection(self, region, account):
        self.counts["aws.config.recorder"] += 1
        self.counts["aws.guardduty.detector"] += 1
        if region != "ap-northeast-2":
            self.plant("bad", "aws.config.recorder", "configuration-recorder", region, "no configuration recorder")
            self.plant("bad", "aws.guardduty.detector", "detector", region, "GuardDuty not enabled")
            return
        config = self.client("config", region)
        config.put_configuration_recorder(ConfigurationRecorder={
            "name": "default", "roleARN": f"arn:aws:iam::{account}:role/config",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        })
        config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "acme-logs-apnortheast2"})
        config.start_configuration_recorder(ConfigurationRecorderName="default")
        self.plant("good", "aws.config.recorder", "default", region, "recording all resources")
        detector = self.client("guardduty", region).create_detector(Enable=True)["DetectorId"]
        self.plant("good", "aws.guardduty.detector", detector, region, "enabled")

    # ------------------------------------- Security Hub, IAM Access Analyzer
    def posture(self, region):
        self.counts["aws.securityhub.hub"] += 1
        if region == "ap-northeast-2":
            self.client("securityhub", region).enable_security_hub(EnableDefaultStandards=True)
            self.plant("good", "aws.securityhub.hub", "hub", region, "Security Hub enabled")
        else:
            self.plant("bad", "aws.securityhub.hub", "hub", region, "Security Hub not enabled")
        # moto (5.1) does not implement Access Analyzer: plant nothing the scan
        # cannot see; the collector records the region as `unsupported`.
        analyzer = self.client("accessanalyzer", region)
        try:
            analyzer.list_analyzers()
        except ClientError as e:
            status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            text = str(e).lower()
            if status in (404, 500, 501) and ("not yet implemented" in text or "<!doctype html" in text):
                return
            raise
        self.counts["aws.accessanalyzer.region"] += 1
        if region == "ap-northeast-2":
            analyzer.create_analyzer(analyzerName="account-analyzer", type="ACCOUNT")
            self.plant("good", "aws.accessanalyzer.region", "access-analyzer", region, "ACCOUNT analyzer active")
        else:
            self.plant("bad", "aws.accessanalyzer.region", "access-analyzer", region, "no analyzer")

    # ------------------------------------------------------ RDS, Lambda
    def databases(self, region):
        rds = self.client("rds", region)
        rds.create_db_instance(
            DBInstanceIdentifier="legacy-mysql", Engine="mysql", DBInstanceClass="db.t3.micro",
            MasterUsername="admin", MasterUserPassword="Sup3r-secret!", AllocatedStorage=20,
            PubliclyAccessible=True, StorageEncrypted=False, BackupRetentionPeriod=0,
            AutoMinorVersionUpgrade=False,
        )
        self.plant("bad", "aws.rds.instance", "legacy-mysql", region, "public, unencrypted, no backups")
        rds.create_db_instance(
            DBInstanceIdentifier="orders-postgres", Engine="postgres", DBInstanceClass="db.t3.micro",
            MasterUsername="admin", MasterUserPassword="Sup3r-secret!", AllocatedStorage=20,
            PubliclyAccessible=False, StorageEncrypted=True, BackupRetentionPeriod=7, MultiAZ=True,
            DeletionProtection=True, EnableIAMDatabaseAuthentication=True, CopyTagsToSnapshot=True,
            Tags=[{"Key": "contains_pii", "Value": "true"}],
        )
        self.plant("good", "aws.rds.instance", "orders-postgres", region, "private, encrypted, backed up, multi-AZ")
        self.counts["aws.rds.instance"] += 2
        rds.create_db_snapshot(DBSnapshotIdentifier="legacy-mysql-public", DBInstanceIdentifier="legacy-mysql")
        rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="legacy-mysql-public", AttributeName="restore", ValuesToAdd=["all"])
        self.plant("bad", "aws.rds.snapshot", "legacy-mysql-public", region, "public snapshot")
        rds.create_db_snapshot(DBSnapshotIdentifier="orders-postgres-manual", DBInstanceIdentifier="orders-postgres")
        self.plant("good", "aws.rds.snapshot", "orders-postgres-manual", region, "private, encrypted")
        self.counts["aws.rds.snapshot"] += 2

    def functions(self, region, account):
        lam = self.client("lambda", region)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("app.py", "def handler(event, context):\n    return {'ok': True}\n")
        code = {"ZipFile": buf.getvalue()}
        role = f"arn:aws:iam::{account}:role/lambda-exec"
        fn = lam.create_function(
            FunctionName="webhook-legacy", Runtime="python3.7", Role=role, Handler="app.handler", Code=code,
            Environment={"Variables": {"DB_PASSWORD": "hunter2", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}},
        )["FunctionArn"]
        lam.add_permission(FunctionName="webhook-legacy", StatementId="public", Action="lambda:InvokeFunction", Principal="*")
        lam.create_function_url_config(FunctionName="webhook-legacy", AuthType="NONE")
        self.plant("bad", "aws.lambda.function", "webhook-legacy", region, "deprecated runtime, secrets in env, public policy and URL")
        lam.create_function(
            FunctionName="orders-worker", Runtime="python3.12", Role=role, Handler="app.handler", Code=code,
            Environment={"Variables": {"LOG_LEVEL": "info"}}, Tags={"team": "orders"},
            TracingConfig={"Mode": "Active"},
            VpcConfig={"SubnetIds": [self.subnets[region]["private"]], "SecurityGroupIds": [
                self.client("ec2", region).describe_security_groups(
                    Filters=[{"Name": "group-name", "Values": ["web-restricted"]}])["SecurityGroups"][0]["GroupId"]]},
        )
        self.plant("good", "aws.lambda.function", "orders-worker", region, "current runtime, no secrets, private, in the VPC")
        self.counts["aws.lambda.function"] += 2
        del fn

    def monitoring(self, region, account):
        """CloudWatch alarms, and the CIS chain on the multi-region trail's
        log group: metric filter, alarm on its metric, SNS topic with a
        confirmed subscriber (moto confirms every subscription at once)."""
        cw = self.client("cloudwatch", region)
        sns = self.client("sns", region)

        def alarm(plant=None, **kw):
            cw.put_metric_alarm(**kw)
            self.counts["aws.cloudwatch.alarm"] += 1
            if plant:
                self.plant(plant[0], "aws.cloudwatch.alarm", kw["AlarmName"], region, plant[1])

        ops = sns.create_topic(Name="ops-alarms")["TopicArn"]
        sns.subscribe(TopicArn=ops, Protocol="email", Endpoint="oncall@example.com")
        self.counts["aws.sns.topic"] += 1
        for i in range(self.n(3)):
            alarm(
                plant=("good", "notifies a subscribed topic") if i == 0 else None,
                AlarmName=f"api-5xx-{i:03d}", Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count",
                Dimensions=[{"Name": "LoadBalancer", "Value": f"app/api-{i:03d}/0123456789abcdef"}],
                Statistic="Sum", Period=60, EvaluationPeriods=5, Threshold=10,
                ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=[ops], OKActions=[ops],
            )
        # moto (5.1) does not implement PutCompositeAlarm: composite alarms are unit-tested only.
        alarm(
            plant=("bad", "no ALARM-state action"),
            AlarmName="db-cpu-high", Namespace="AWS/RDS", MetricName="CPUUtilization",
            Dimensions=[{"Name": "DBInstanceIdentifier", "Value": "legacy-mysql"}],
            Statistic="Average", Period=300, EvaluationPeriods=3, Threshold=90,
            ComparisonOperator="GreaterThanThreshold",
        )
        if region != "ap-northeast-2":
            return

        # The multi-region trail org-audit (see cloudtrail()) delivers to a log group.
        logs = self.client("logs", region)
        key = self.client("kms", region).create_key(Description="cloudtrail log group")["KeyMetadata"]["Arn"]
        group = "cloudtrail/org-audit"
        logs.create_log_group(logGroupName=group, kmsKeyId=key)
        logs.put_retention_policy(logGroupName=group, retentionInDays=400)
        self.plant("good", "aws.logs.log_group", group, region, "CloudTrail delivery, 400-day retention, KMS")
        self.counts["aws.logs.log_group"] += 1
        self.client("cloudtrail", region).update_trail(
            Name="org-audit", CloudWatchLogsLogGroupArn=f"arn:aws:logs:{region}:{account}:log-group:{group}:*",
            CloudWatchLogsRoleArn=f"arn:aws:iam::{account}:role/cloudtrail-to-logs",
        )
        alerts = sns.create_topic(Name="security-alerts", Attributes={"KmsMasterKeyId": "alias/aws/sns"})["TopicArn"]
        sns.subscribe(TopicArn=alerts, Protocol="email", Endpoint="secops@example.com")
        nobody = sns.create_topic(Name="audit-alerts", Attributes={"KmsMasterKeyId": "alias/aws/sns"})["TopicArn"]
        self.counts["aws.sns.topic"] += 2

        def chain(name, metric, pattern, topic=None, enabled=True, math=False, plant=None):
            logs.put_metric_filter(
                logGroupName=group, filterName=name, filterPattern=pattern,
                metricTransformations=[{"metricName": metric, "metricNamespace": "CISBenchmark", "metricValue": "1"}],
            )
            if topic is None:
                return
            shape = {"Statistic": "Sum", "Period": 300, "MetricName": metric, "Namespace": "CISBenchmark"}
            if math:  # the same metric, as a metric-math alarm
                shape = {"Metrics": [{"Id": "m1", "ReturnData": True, "MetricStat": {
                    "Metric": {"Namespace": "CISBenchmark", "MetricName": metric}, "Period": 300, "Stat": "Sum"}}]}
            alarm(
                plant=plant, AlarmName=name, EvaluationPeriods=1, Threshold=1,
                ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="notBreaching",
                AlarmActions=[topic], ActionsEnabled=enabled, **shape,
            )

        def events(*names, source=None):
            terms = " || ".join(f"($.eventName = {n})" for n in names)
            return f"{{ ($.eventSource = {source}) && ({terms}) }}" if source else f"{{ {terms} }}"

        # Complete chains.
        chain("cis-root-usage", "RootAccountUsage",
              '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
              alerts, plant=("good", "CIS root-usage alarm, notifies security-alerts"))
        chain("cis-unauthorized-api-calls", "UnauthorizedAPICalls",
              "{($.errorCode=*UnauthorizedOperation)||($.errorCode=AccessDenied*)&&($.sourceIPAddress!=delivery.logs.amazonaws.com)&&($.eventName!=HeadBucket)}",
              alerts)
        chain("cis-iam-policy-changes", "IAMPolicyChanges", "{" + "||".join(f"($.eventName={n})" for n in (
            "DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy", "PutUserPolicy",
            "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion", "SetDefaultPolicyVersion",
            "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy",
            "DetachGroupPolicy")) + "}", alerts, math=True)
        chain("cis-security-group-changes", "SecurityGroupChanges", events(
            "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
            "RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup", "ModifySecurityGroupRules"), alerts)
        # Broken chains: no subscriber, actions disabled, no alarm, incomplete pattern.
        chain("cis-cloudtrail-changes", "CloudTrailChanges",
              events("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"), nobody)
        chain("cis-console-auth-failures", "ConsoleSigninFailures",
              '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }', alerts, enabled=False,
              plant=("bad", "actions disabled"))
        chain("cis-kms-key-disable-or-deletion", "KMSKeyDisableOrDeletion",
              events("DisableKey", "ScheduleKeyDeletion", source="kms.amazonaws.com"))
        chain("cis-s3-bucket-policy-changes", "S3BucketPolicyChanges", events(
            "PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle", "PutBucketReplication",
            "DeleteBucketPolicy", "DeleteBucketCors", "DeleteBucketLifecycle", source="s3.amazonaws.com"), alerts)
        # One per account, derived after collection.
        self.counts["aws.cloudwatch.monitoring"] += 1
        self.plant("bad", "aws.cloudwatch.monitoring", "monitoring", "global",
                   "CIS monitoring: only root usage, unauthorized API calls, IAM policy and security group changes alarmed")

    def containers(self, region, account):
        """ECR repositories, EKS clusters, ELBv2 load balancers."""
        sfx = region.replace("-", "")
        kms = self.client("kms", region)
        key = kms.create_key(Description="containers: ECR images, EKS secrets")["KeyMetadata"]["Arn"]
        kms.enable_key_rotation(KeyId=key)

        ecr = self.client("ecr", region)
        ecr.create_repository(repositoryName="legacy-images", imageTagMutability="MUTABLE",
                              imageScanningConfiguration={"scanOnPush": False})
        ecr.set_repository_policy(repositoryName="legacy-images", policyText=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Sid": "AnyonePullPush", "Effect": "Allow", "Principal": "*", "Action": [
                "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability",
                "ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"]}],
        }))
        self.plant("bad", "aws.ecr.repository", "legacy-images", region,
                   "anyone may pull and push; mutable tags; no scanning, KMS or lifecycle policy")
        ecr.create_repository(repositoryName="orders-api", imageTagMutability="IMMUTABLE",
                              imageScanningConfiguration={"scanOnPush": True},
                              encryptionConfiguration={"encryptionType": "KMS", "kmsKey": key},
                              tags=[{"Key": "team", "Value": "orders"}])
        ecr.set_repository_policy(repositoryName="orders-api", policyText=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Sid": "OrgPull", "Effect": "Allow", "Principal": "*",
                           "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                           "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-acme12345"}}}],
        }))
        ecr.put_lifecycle_policy(repositoryName="orders-api", lifecyclePolicyText=json.dumps({"rules": [{
            "rulePriority": 1, "description": "expire untagged images after 14 days",
            "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
            "action": {"type": "expire"},
        }]}))
        # Registry-level scanning (what AWS now uses instead of the
        # repository flag): scan on push for the orders-* repositories.
        ecr.put_registry_scanning_configuration(scanType="BASIC", rules=[{
            "scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "orders-*", "filterType": "WILDCARD"}],
        }])
        self.plant("good", "aws.ecr.repository", "orders-api", region,
                   "org-only pull, immutable tags, scan on push, KMS, lifecycle policy")
        self.counts["aws.ecr.repository"] += 2
        for i in range(self.n(2)):
            ecr.create_repository(repositoryName=f"svc-{i:03d}", imageTagMutability="IMMUTABLE" if i % 2 else "MUTABLE")
            self.counts["aws.ecr.repository"] += 1

        eks = self.client("eks", region)
        subnets = self.subnets[region]
        role = f"arn:aws:iam::{account}:role/eks-cluster"
        eks.create_cluster(name="legacy-eks", version="1.24", roleArn=role, resourcesVpcConfig={
            "subnetIds": [subnets["public"], subnets["private"]],
            "endpointPublicAccess": True, "endpointPrivateAccess": False, "publicAccessCidrs": ["0.0.0.0/0"],
        })
        self.plant("bad", "aws.eks.cluster", "legacy-eks", region,
                   "Kubernetes 1.24, API open to 0.0.0.0/0, no control-plane logs, no secrets KMS key")
        eks.create_cluster(
            name="prod-eks", version="1.35", roleArn=role,
            resourcesVpcConfig={"subnetIds": [subnets["private"]], "endpointPublicAccess": False, "endpointPrivateAccess": True},
            logging={"clusterLogging": [{"types": ["api", "audit", "authenticator", "controllerManager", "scheduler"], "enabled": True}]},
            encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": key}}],
            tags={"team": "platform"},
        )
        self.plant("good", "aws.eks.cluster", "prod-eks", region,
                   "Kubernetes 1.35, private endpoint, all control-plane logs, secrets KMS key")
        self.counts["aws.eks.cluster"] += 2

        self.load_balancers(region, account, sfx)

    def load_balancers(self, region, account, sfx):
        """ALBs and an NLB in front of the acme-prod VPC (part of containers())."""
        import datetime

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        # A self-signed certificate imported into ACM for the HTTPS and TLS listeners.
        pk = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shop.acme.example")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(pk.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now)
                .not_valid_after(now + datetime.timedelta(days=365)).sign(pk, hashes.SHA256()))
        cert_arn = self.client("acm", region).import_certificate(
            Certificate=cert.public_bytes(serialization.Encoding.PEM),
            PrivateKey=pk.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()),
        )["CertificateArn"]

        ec2 = self.client("ec2", region)
        vpc = self.vpcs[region]
        subnets = [self.subnets[region]["public"], self.subnets[region]["private"]]
        sg = ec2.create_security_group(GroupName="alb-public", Description="HTTP and HTTPS from the internet", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]} for p in (80, 443)
        ])
        elb = self.client("elbv2", region)
        tg = elb.create_target_group(Name="web-servers", Protocol="HTTP", Port=8080, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
        forward = [{"Type": "forward", "TargetGroupArn": tg}]

        def attributes(lb, logs, protected, drop_invalid, desync):
            attrs = [
                {"Key": "access_logs.s3.enabled", "Value": str(logs).lower()},
                {"Key": "deletion_protection.enabled", "Value": str(protected).lower()},
            ]
            if logs:
                attrs += [{"Key": "access_logs.s3.bucket", "Value": f"acme-logs-{sfx}"},
                          {"Key": "access_logs.s3.prefix", "Value": "elb"}]
            if drop_invalid is not None:
                attrs += [{"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": str(drop_invalid).lower()},
                          {"Key": "routing.http.desync_mitigation_mode", "Value": desync}]
            elb.modify_load_balancer_attributes(LoadBalancerArn=lb, Attributes=attrs)

        legacy = elb.create_load_balancer(Name="legacy-web", Subnets=subnets, SecurityGroups=[sg],
                                          Scheme="internet-facing", Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
        elb.create_listener(LoadBalancerArn=legacy, Protocol="HTTP", Port=80, DefaultActions=forward)
        elb.create_listener(LoadBalancerArn=legacy, Protocol="HTTPS", Port=443, SslPolicy="ELBSecurityPolicy-2016-08",
                            Certificates=[{"CertificateArn": cert_arn}], DefaultActions=forward)
        attributes(legacy, logs=False, protected=False, drop_invalid=False, desync="monitor")
        self.plant("bad", "aws.elbv2.load_balancer", "legacy-web", region,
                   "HTTP served without redirect, TLS 1.0 policy, no access logs, no deletion protection, "
                   "invalid headers forwarded, desync monitor only")

        orders = elb.create_load_balancer(Name="orders-alb", Subnets=subnets, SecurityGroups=[sg],
                                          Scheme="internet-facing", Type="application",
                                          Tags=[{"Key": "team", "Value": "orders"}])["LoadBalancers"][0]["LoadBalancerArn"]
        elb.create_listener(LoadBalancerArn=orders, Protocol="HTTP", Port=80, DefaultActions=[
            {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}])
        elb.create_listener(LoadBalancerArn=orders, Protocol="HTTPS", Port=443, SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
                            Certificates=[{"CertificateArn": cert_arn}], DefaultActions=forward)
        attributes(orders, logs=True, protected=True, drop_invalid=True, desync="strictest")
        self.plant("good", "aws.elbv2.load_balancer", "orders-alb", region,
                   "HTTP redirects to HTTPS, TLS 1.2+ policy, access logs, deletion protection, strict header handling")

        grpc = elb.create_load_balancer(Name="grpc-nlb", Subnets=[self.subnets[region]["private"]],
                                        Scheme="internal", Type="network")["LoadBalancers"][0]["LoadBalancerArn"]
        tcp_tg = elb.create_target_group(Name="grpc-servers", Protocol="TCP", Port=50051, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
        elb.create_listener(LoadBalancerArn=grpc, Protocol="TLS", Port=443, SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
                            Certificates=[{"CertificateArn": cert_arn}], DefaultActions=[{"Type": "forward", "TargetGroupArn": tcp_tg}])
        attributes(grpc, logs=True, protected=True, drop_invalid=None, desync=None)
        self.plant("good", "aws.elbv2.load_balancer", "grpc-nlb", region,
                   "internal NLB, TLS 1.2+ policy, access logs, deletion protection")
        self.counts["aws.elbv2.load_balancer"] += 3

    def datastores(self, region, account):
        """DynamoDB tables, Secrets Manager secrets, SSM documents, EFS file systems."""
        # Secret values planted below: the collector reads metadata only, and
        # crates/collect/tests/emulator/datastores.rs checks none reaches the inventory.
        legacy_db_password = "Legacy-DB-pa55word-7731"
        orders_db_password = "0rders-db-S3cret-9c4e2f"
        partner_api_key = "pk_live_partner_51Hc0ffee7e57a9b"
        kms = self.client("kms", region)
        cmk = kms.create_key(Description="datastores (tables, secrets, file systems)")["KeyMetadata"]["Arn"]
        kms.enable_key_rotation(KeyId=cmk)
        kms.create_alias(AliasName="alias/datastores", TargetKeyId=cmk)
        app_role = f"arn:aws:iam::{account}:role/lambda-exec"

        ddb = self.client("dynamodb", region)
        pk = {"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
              "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}
        ddb.create_table(TableName="sessions-legacy", **pk)
        self.plant("bad", "aws.dynamodb.table", "sessions-legacy", region, "no PITR, AWS-owned key, no deletion protection")
        ddb.create_table(TableName="carts", SSESpecification={"Enabled": True, "SSEType": "KMS"}, **pk)
        self.plant("bad", "aws.dynamodb.table", "carts", region, "AWS-managed aws/dynamodb key, no PITR")
        orders = ddb.create_table(
            TableName="orders", SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": cmk},
            DeletionProtectionEnabled=True, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            Tags=[{"Key": "contains_pii", "Value": "true"}, {"Key": "team", "Value": "orders"}], **pk,
        )["TableDescription"]["TableArn"]
        ddb.update_continuous_backups(TableName="orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        ddb.put_resource_policy(ResourceArn=orders, Policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": app_role},
                           "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"], "Resource": orders}],
        }))
        self.plant("good", "aws.dynamodb.table", "orders", region, "PITR, customer-managed key, deletion protection, account-only policy")
        self.counts["aws.dynamodb.table"] += 3
        for i in range(self.n(4)):
            ddb.create_table(TableName=f"events-{i:03d}", **pk)
            self.counts["aws.dynamodb.table"] += 1

        # Rotation needs a function in the account; moto invokes it (without
        # Docker the invocation fails quietly and rotation is still recorded).
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("rotate.py", "def handler(event, context):\n    return None\n")
        rotator = self.client("lambda", region).create_function(
            FunctionName="secrets-rotator", Runtime="python3.12", Role=app_role, Handler="rotate.handler",
            Code={"ZipFile": buf.getvalue()}, Tags={"team": "platform"},
        )["FunctionArn"]
        self.counts["aws.lambda.function"] += 1
        sm = self.client("secretsmanager", region)
        sm.create_secret(Name="legacy/db-password", SecretString=legacy_db_password)
        self.plant("bad", "aws.secretsmanager.secret", "legacy/db-password", region, "no rotation, AWS-managed key")
        sm.create_secret(
            Name="prod/orders-db", KmsKeyId=cmk, Tags=[{"Key": "team", "Value": "orders"}],
            SecretString=json.dumps({"username": "orders", "password": orders_db_password}),
        )
        sm.rotate_secret(SecretId="prod/orders-db", RotationLambdaARN=rotator,
                         RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False)
        # Invoking the function made its log group, as in AWS.
        rotator_logs = self.client("logs", region).describe_log_groups(logGroupNamePrefix="/aws/lambda/secrets-rotator")
        self.counts["aws.logs.log_group"] += len(rotator_logs["logGroups"])
        sm.put_resource_policy(SecretId="prod/orders-db", ResourcePolicy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": app_role},
                           "Action": "secretsmanager:GetSecretValue", "Resource": "*"}],
        }))
        self.plant("good", "aws.secretsmanager.secret", "prod/orders-db", region, "rotated every 30 days, customer-managed key, account-only policy")
        sm.create_secret(Name="partner/api-key", SecretString=partner_api_key, KmsKeyId=cmk)
        sm.put_resource_policy(SecretId="partner/api-key", ResourcePolicy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}],
        }))
        self.plant("bad", "aws.secretsmanager.secret", "partner/api-key", region, "resource policy open to every AWS account")
        self.counts["aws.secretsmanager.secret"] += 3
        for i in range(self.n(3)):
            sm.create_secret(Name=f"app/service-{i:03d}", SecretString=json.dumps({"token": f"svc-{i:03d}"}))
            self.counts["aws.secretsmanager.secret"] += 1

        ssm = self.client("ssm", region)
        content = json.dumps({
            "schemaVersion": "2.2", "description": "Restart the application service",
            "mainSteps": [{"action": "aws:runShellScript", "name": "restart", "inputs": {"runCommand": ["systemctl restart app"]}}],
        })
        ssm.create_document(Name="legacy-runbook", Content=content, DocumentType="Command", DocumentFormat="JSON")
        ssm.modify_document_permission(Name="legacy-runbook", PermissionType="Share", AccountIdsToAdd=["all"])
        self.plant("bad", "aws.ssm.document", "legacy-runbook", region, "shared with all AWS accounts")
        ssm.create_document(Name="orders-runbook", Content=content, DocumentType="Command", DocumentFormat="JSON",
                            Tags=[{"Key": "team", "Value": "orders"}])
        self.plant("good", "aws.ssm.document", "orders-runbook", region, "private")
        self.counts["aws.ssm.document"] += 2
        for i in range(self.n(2)):
            ssm.create_document(Name=f"patch-runbook-{i:03d}", Content=content, DocumentType="Command", DocumentFormat="JSON")
            self.counts["aws.ssm.document"] += 1
        # moto (5.1) lacks GetServiceSetting: plant nothing the scan cannot
        # see; the collector records aws.ssm.account_settings as `unsupported`.
        try:
            ssm.get_service_setting(SettingId="/ssm/documents/console/public-sharing-permission")
            self.counts["aws.ssm.account_settings"] += 1
            self.plant("bad", "aws.ssm.account_settings", "ssm-account-settings", region, "public sharing of documents not blocked")
        except ClientError as e:
            if e.response.get("ResponseMetadata", {}).get("HTTPStatusCode") not in (404, 500, 501):
                raise

        efs = self.client("efs", region)
        subnet = self.subnets[region]["private"]
        legacy = efs.create_file_system(CreationToken=f"legacy-share-{region}", Encrypted=False,
                                        Tags=[{"Key": "Name", "Value": "legacy-share"}])["FileSystemId"]
        efs.create_mount_target(FileSystemId=legacy, SubnetId=subnet)
        self.plant("bad", "aws.efs.file_system", "legacy-share", region, "unencrypted, no backups, no policy: any client may mount")
        share = efs.create_file_system(
            CreationToken=f"orders-share-{region}", Encrypted=True, KmsKeyId=cmk, Backup=True, ThroughputMode="elastic",
            Tags=[{"Key": "Name", "Value": "orders-share"}, {"Key": "contains_pii", "Value": "true"}],
        )
        efs.create_mount_target(FileSystemId=share["FileSystemId"], SubnetId=subnet)
        efs.put_file_system_policy(FileSystemId=share["FileSystemId"], Policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": app_role},
                 "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"], "Resource": share["FileSystemArn"]},
                {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*", "Resource": share["FileSystemArn"],
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            ],
        }))
        efs.put_lifecycle_configuration(FileSystemId=share["FileSystemId"], LifecyclePolicies=[{"TransitionToIA": "AFTER_30_DAYS"}])
        efs.create_access_point(FileSystemId=share["FileSystemId"], PosixUser={"Uid": 1000, "Gid": 1000},
                                RootDirectory={"Path": "/orders"}, Tags=[{"Key": "Name", "Value": "orders-app"}])
        self.plant("good", "aws.efs.file_system", "orders-share", region, "customer-managed key, automatic backups, IAM-only mounts")
        self.counts["aws.efs.file_system"] += 2
        for i in range(self.n(1)):
            efs.create_file_system(CreationToken=f"scratch-{region}-{i:03d}", Encrypted=True,
                                   Tags=[{"Key": "Name", "Value": f"scratch-{i:03d}"}])
            self.counts["aws.efs.file_system"] += 1

    def analytics(self, region, account):
        """Redshift clusters, Kinesis streams, OpenSearch domains, each bad one
        beside a compliant twin, in both regions."""
        from botocore.parsers import ResponseParserError

        kms = self.client("kms", region)
        key = kms.create_key(Description="analytics data (Redshift, Kinesis, OpenSearch)")["KeyMetadata"]["Arn"]
        kms.enable_key_rotation(KeyId=key)

        # Redshift: a public, unencrypted, unaudited legacy warehouse on the
        # default parameter group, beside a private, encrypted, audited one
        # on a parameter group requiring SSL.
        rs = self.client("redshift", region)
        rs.create_cluster_subnet_group(
            ClusterSubnetGroupName="dw-private", Description="private subnets for the warehouse",
            SubnetIds=[self.subnets[region]["private"]],
        )
        rs.create_cluster_parameter_group(
            ParameterGroupName="dw-tls-required", ParameterGroupFamily="redshift-1.0", Description="require SSL",
        )
        # moto (5.1) lacks ModifyClusterParameterGroup: every group it serves
        # keeps require_ssl=false, so the twin can be compliant on everything
        # but that, and is then planted as failing that one rule.
        try:
            rs.modify_cluster_parameter_group(
                ParameterGroupName="dw-tls-required",
                Parameters=[{"ParameterName": "require_ssl", "ParameterValue": "true"}],
            )
            ssl_required = True
        except (ClientError, ResponseParserError) as e:
            text = str(e).lower()
            if "not yet implemented" not in text and "<!doctype html" not in text and "invalid xml" not in text:
                raise
            ssl_required = False
        rs.create_cluster(
            ClusterIdentifier="legacy-dw", NodeType="dc2.large", ClusterType="single-node",
            MasterUsername="awsuser", MasterUserPassword="Legacy-dw-pass1", PubliclyAccessible=True,
            Encrypted=False, AllowVersionUpgrade=False, AutomatedSnapshotRetentionPeriod=1,
        )
        self.plant("bad", "aws.redshift.cluster", "legacy-dw", region,
                   "public, unencrypted, no audit logging, require_ssl off, no version upgrades, admin awsuser, 1-day snapshots")
        rs.create_cluster(
            ClusterIdentifier="analytics-dw", NodeType="ra3.xlplus", ClusterType="single-node",
            MasterUsername="dw_admin", MasterUserPassword="Analytics-dw-pass1", PubliclyAccessible=False,
            ClusterSubnetGroupName="dw-private", ClusterParameterGroupName="dw-tls-required",
            Encrypted=True, KmsKeyId=key, AllowVersionUpgrade=True, AutomatedSnapshotRetentionPeriod=7,
            EnhancedVpcRouting=True, Tags=[{"Key": "team", "Value": "data"}, {"Key": "contains_pii", "Value": "true"}],
        )
        rs.enable_logging(
            ClusterIdentifier="analytics-dw", LogDestinationType="cloudwatch",
            LogExports=["connectionlog", "userlog", "useractivitylog"],
        )
        if ssl_required:
            self.plant("good", "aws.redshift.cluster", "analytics-dw", region,
                       "private, KMS-encrypted, audit logging, require_ssl, 7-day snapshots")
        else:
            self.plant("bad", "aws.redshift.cluster", "analytics-dw", region,
                       "compliant but for require_ssl, which the emulator cannot set (no ModifyClusterParameterGroup)")
        self.counts["aws.redshift.cluster"] += 2

        # Kinesis: an unencrypted legacy stream beside a KMS-encrypted one.
        kinesis = self.client("kinesis", region)
        kinesis.create_stream(StreamName="clickstream-legacy", ShardCount=1)
        self.plant("bad", "aws.kinesis.stream", "clickstream-legacy", region, "not encrypted at rest")
        kinesis.create_stream(StreamName="orders-events", StreamModeDetails={"StreamMode": "ON_DEMAND"})
        kinesis.start_stream_encryption(StreamName="orders-events", EncryptionType="KMS", KeyId=key)
        kinesis.increase_stream_retention_period(StreamName="orders-events", RetentionPeriodHours=168)
        kinesis.add_tags_to_stream(StreamName="orders-events", Tags={"team": "orders"})
        self.plant("good", "aws.kinesis.stream", "orders-events", region, "KMS-encrypted, 7-day retention")
        self.counts["aws.kinesis.stream"] += 2
        for i in range(self.n(3)):
            name = f"telemetry-{i:03d}"
            kinesis.create_stream(StreamName=name, ShardCount=1)
            if i % 2 == 0:
                kinesis.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis")
            self.counts["aws.kinesis.stream"] += 1

        # OpenSearch: a public Elasticsearch domain anyone may query, beside
        # a VPC domain with encryption, TLS 1.2, fine-grained access control
        # and audit logs.
        search = self.client("opensearch", region)
        search.create_domain(
            DomainName="legacy-search", EngineVersion="Elasticsearch_7.10",
            ClusterConfig={"InstanceType": "t3.small.search", "InstanceCount": 1},
            AccessPolicies=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "es:*",
                "Resource": f"arn:aws:es:{region}:{account}:domain/legacy-search/*",
            }]}),
        )
        self.plant("bad", "aws.opensearch.domain", "legacy-search", region,
                   "public endpoint with a * access policy, no FGAC, unencrypted, no node-to-node, HTTP allowed, no audit logs")
        logs = self.client("logs", region)
        audit_group = "/aws/opensearch/orders-search/audit"
        logs.create_log_group(logGroupName=audit_group, kmsKeyId=key)
        logs.put_retention_policy(logGroupName=audit_group, retentionInDays=365)
        self.counts["aws.logs.log_group"] += 1
        sg = self.client("ec2", region).describe_security_groups(
            Filters=[{"Name": "group-name", "Values": ["web-restricted"]}]
        )["SecurityGroups"][0]["GroupId"]
        search.create_domain(
            DomainName="orders-search", EngineVersion="OpenSearch_2.11",
            ClusterConfig={
                "InstanceType": "r6g.large.search", "InstanceCount": 3, "ZoneAwarenessEnabled": True,
                "ZoneAwarenessConfig": {"AvailabilityZoneCount": 3}, "DedicatedMasterEnabled": True,
                "DedicatedMasterType": "m6g.large.search", "DedicatedMasterCount": 3,
            },
            VPCOptions={"SubnetIds": [self.subnets[region]["private"]], "SecurityGroupIds": [sg]},
            AccessPolicies=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:role/search-app"},
                "Action": "es:ESHttp*", "Resource": f"arn:aws:es:{region}:{account}:domain/orders-search/*",
            }]}),
            EncryptionAtRestOptions={"Enabled": True, "KmsKeyId": key},
            NodeToNodeEncryptionOptions={"Enabled": True},
            DomainEndpointOptions={"EnforceHTTPS": True, "TLSSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10"},
            AdvancedSecurityOptions={
                "Enabled": True, "InternalUserDatabaseEnabled": False,
                "MasterUserOptions": {"MasterUserARN": f"arn:aws:iam::{account}:role/search-admin"},
            },
            LogPublishingOptions={"AUDIT_LOGS": {
                "CloudWatchLogsLogGroupArn": f"arn:aws:logs:{region}:{account}:log-group:{audit_group}", "Enabled": True,
            }},
            SoftwareUpdateOptions={"AutoSoftwareUpdateEnabled": True},
            TagList=[{"Key": "team", "Value": "orders"}, {"Key": "contains_pii", "Value": "true"}],
        )
        self.plant("good", "aws.opensearch.domain", "orders-search", region,
                   "VPC, scoped policy, KMS, node-to-node, HTTPS with TLS 1.2, FGAC, audit logs")
        self.counts["aws.opensearch.domain"] += 2

    def organization(self, account):
        """The AWS Organization the seeded account manages (all features,
        SCPs enabled at the root: the compliant twin of the organization
        rules), and two member accounts the organization created:
        acme-workloads, holding a bucket without default encryption made
        through the member role, and acme-sandbox, left empty. The normal
        scan sees only the seeded account, so member resources go to
        manifest["org"], never to counts, bad or good."""
        org = self.client("organizations")
        o = org.create_organization(FeatureSet="ALL")["Organization"]
        root = org.list_roots()["Roots"][0]["Id"]
        org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
        self.plant("good", "aws.organizations.organization", o["Id"], "global", "all features, SCPs enabled")
        self.counts["aws.organizations.organization"] += 1
        members = {}
        for name in ("acme-workloads", "acme-sandbox"):
            status = org.create_account(AccountName=name, Email=f"aws+{name}@acme.example")["CreateAccountStatus"]
            members[name] = status["AccountId"]
        workloads = members["acme-workloads"]
        creds = self.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{workloads}:role/OrganizationAccountAccessRole", RoleSessionName="seed-demo"
        )["Credentials"]
        member = boto3.session.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
        bucket = f"acme-workloads-unencrypted-{workloads}"
        member.client("s3", region_name="us-east-1", endpoint_url=self.endpoint).create_bucket(Bucket=bucket)
        self.org = {
            "id": o["Id"],
            "management_account": account,
            "role": "OrganizationAccountAccessRole",
            "accounts": sorted(
                ({"id": a["Id"], "name": a["Name"], "state": a.get("State", a["Status"])} for a in org.list_accounts()["Accounts"]),
                key=lambda a: a["id"],
            ),
            "member_resources": [
                {"account": workloads, "kind": "bad", "type": "aws.s3.bucket", "name": bucket, "region": "us-east-1",
                 "issue": "no default encryption"},
            ],
        }

    def run(self):
        # Start from an empty emulator so the manifest's counts are exact.
        urllib.request.urlopen(urllib.request.Request(self.endpoint + "/moto-api/reset", method="POST"), timeout=10)
        account = self.client("sts").get_caller_identity()["Account"]
        self.subnets, self.vpcs = {}, {}
        self.iam()
        s3control = self.client("s3control")
        s3control.put_public_access_block(
            AccountId=account,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
            },
        )
        self.plant("good", "aws.s3.account_public_access_block", account, "global", "all four settings on")
        self.counts["aws.s3.account_public_access_block"] += 1
        for region in REGIONS:
            self.s3(region, account)
            self.ec2(region)
            self.cloudtrail(region)
            self.kms(region)
            self.messaging(region, account)
            self.detection(region, account)
            self.posture(region)
            self.databases(region)
            self.functions(region, account)
            self.monitoring(region, account)
            self.containers(region, account)
            self.datastores(region, account)
            self.analytics(region, account)
        self.organization(account)
        # Planted keys plus the AWS-managed ones (aws/ebs, ...) the emulator
        # made along the way, as a real account would have.
        self.counts["aws.kms.key"] = sum(len(self.client("kms", r).list_keys()["Keys"]) for r in REGIONS)
        return {
            "account": account,
            "regions": REGIONS,
            "scale": self.scale,
            "counts": dict(sorted(self.counts.items())),
            "bad": self.bad,
            "good": self.good,
            "org": self.org,
        }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--endpoint", default=os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"))
    ap.add_argument("--scale", type=int, default=1, help="multiplies users, groups, buckets, instances, volumes, keys")
    args = ap.parse_args()
    host = args.endpoint.split("//", 1)[-1].split(":", 1)[0]
    if host not in ("127.0.0.1", "localhost", "::1", "[::1]"):
        sys.exit(f"refusing to seed {args.endpoint}: only a local emulator is allowed")
    manifest = Seed(args.endpoint, max(0, args.scale)).run()
    json.dump(manifest, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
