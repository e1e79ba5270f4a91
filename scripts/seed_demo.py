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
        iam.create_open_id_connect_provider(
            Url="https://token.actions.githubusercontent.com",
            ClientIDList=["sts.amazonaws.com"],
            ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"],
        )
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
        for port in (22, 3389, 3306, 5432):
            perms.append({"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                          "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]})
        ec2.authorize_security_group_ingress(GroupId=open_sg, IpPermissions=perms)
        self.plant("bad", "aws.ec2.security_group", "open-admin", region, "SSH/RDP/MySQL/PostgreSQL open to 0.0.0.0/0 and ::/0")
        web_sg = ec2.create_security_group(GroupName="web-restricted", Description="https from corp", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(
            GroupId=web_sg,
            IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}],
        )
        self.plant("good", "aws.ec2.security_group", "web-restricted", region, "443 from 10.0.0.0/8 only")

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
            IamInstanceProfile={"Arn": self.profile_arn},
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
        self.plant("good", "aws.ec2.volume", "db-data-encrypted", region, "encrypted")
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
        ct = self.client("cloudtrail", region)
        key = self.client("kms", region).create_key(Description="cloudtrail")["KeyMetadata"]["Arn"]
        self.counts["aws.kms.key"] += 1
        ct.create_trail(Name="org-audit", S3BucketName=bucket, IsMultiRegionTrail=True,
                        EnableLogFileValidation=True, KmsKeyId=key, IncludeGlobalServiceEvents=True)
        ct.start_logging(Name="org-audit")
        ct.put_event_selectors(TrailName="org-audit", EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}])
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
        )
        self.plant("bad", "aws.rds.instance", "legacy-mysql", region, "public, unencrypted, no backups")
        rds.create_db_instance(
            DBInstanceIdentifier="orders-postgres", Engine="postgres", DBInstanceClass="db.t3.micro",
            MasterUsername="admin", MasterUserPassword="Sup3r-secret!", AllocatedStorage=20,
            PubliclyAccessible=False, StorageEncrypted=True, BackupRetentionPeriod=7, MultiAZ=True,
            DeletionProtection=True, Tags=[{"Key": "contains_pii", "Value": "true"}],
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
        )
        self.plant("good", "aws.lambda.function", "orders-worker", region, "current runtime, no secrets, private")
        self.counts["aws.lambda.function"] += 2
        del fn

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
