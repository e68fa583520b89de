package mlops.iam.no_unconditioned_star_principal_test

import rego.v1

import data.mlops.iam.no_unconditioned_star_principal
import data.mlops.lib.fixtures_test as fixtures

_message(kind, name, statement) := sprintf(
	"%s of %s must not allow the \"*\" principal without a condition that narrows the caller (statement %s); name the principals or add a condition such as aws:SourceAccount, aws:PrincipalOrgID or kms:CallerAccount",
	[kind, name, statement],
)

_document(statements) := json.marshal({"Version": "2012-10-17", "Statement": statements})

_key_denied(statement) := {{"resource": fixtures.key, "message": _message("KMS key policy", "platform-key", statement)}}

# The fixture with one more statement in its key policy.
_with_key_statement(statement) := fixtures.with_inputs(fixtures.stack, fixtures.key, {"policy": _document(array.concat(fixtures.key_policy_document.Statement, [statement]))})

_open_decrypt := {"Sid": "Anyone", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}

# Named principals, service principals and the TLS-only Deny to everyone.
test_named_principals_and_deny_statements_allowed if {
	count(no_unconditioned_star_principal.deny) == 0 with input as fixtures.stack
}

test_star_with_caller_account_condition_allowed if {
	statement := object.union(_open_decrypt, {"Condition": {"StringEquals": {"kms:CallerAccount": "123456789012", "kms:ViaService": "s3.eu-west-1.amazonaws.com"}}})
	doc := _with_key_statement(statement)
	count(no_unconditioned_star_principal.deny) == 0 with input as doc
}

test_star_with_organization_condition_in_any_case_allowed if {
	statement := object.union(_open_decrypt, {"Principal": {"AWS": ["*"]}, "Condition": {"StringEquals": {"AWS:principalOrgId": ["o-a1b2c3d4e5"]}}})
	doc := _with_key_statement(statement)
	count(no_unconditioned_star_principal.deny) == 0 with input as doc
}

test_star_with_source_arn_pattern_allowed if {
	statement := object.union(_open_decrypt, {"Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::acme-prod-*"}}})
	doc := _with_key_statement(statement)
	count(no_unconditioned_star_principal.deny) == 0 with input as doc
}

test_star_deny_without_condition_allowed if {
	statement := object.union(_open_decrypt, {"Effect": "Deny"})
	doc := _with_key_statement(statement)
	count(no_unconditioned_star_principal.deny) == 0 with input as doc
}

test_star_without_condition_in_key_policy_denied if {
	doc := _with_key_statement(_open_decrypt)
	no_unconditioned_star_principal.deny == _key_denied("Sid Anyone") with input as doc
}

test_aws_star_in_a_list_denied if {
	statement := object.union(_open_decrypt, {"Principal": {"AWS": ["arn:aws:iam::123456789012:root", "*"]}})
	doc := _with_key_statement(statement)
	no_unconditioned_star_principal.deny == _key_denied("Sid Anyone") with input as doc
}

test_not_principal_allow_denied if {
	statement := object.remove(object.union(_open_decrypt, {"NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"}}), ["Principal"])
	doc := _with_key_statement(statement)
	no_unconditioned_star_principal.deny == _key_denied("Sid Anyone") with input as doc
}

test_condition_on_another_key_denied if {
	statement := object.union(_open_decrypt, {"Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}})
	doc := _with_key_statement(statement)
	no_unconditioned_star_principal.deny == _key_denied("Sid Anyone") with input as doc
}

test_if_exists_operator_denied if {
	statement := object.union(_open_decrypt, {"Condition": {"StringEqualsIfExists": {"aws:PrincipalAccount": "123456789012"}}})
	doc := _with_key_statement(statement)
	no_unconditioned_star_principal.deny == _key_denied("Sid Anyone") with input as doc
}

test_negated_operator_denied if {
	statement := object.union(_open_decrypt, {"Condition": {"StringNotEquals": {"aws:PrincipalAccount": "210987654321"}}})
	doc := _with_key_statement(statement)
	no_unconditioned_star_principal.deny == _key_denied("Sid Anyone") with input as doc
}

test_wildcard_condition_value_denied if {
	statement := object.union(_open_decrypt, {"Condition": {"StringLike": {"aws:PrincipalOrgID": ["o-a1b2c3d4e5", "*"]}}})
	doc := _with_key_statement(statement)
	no_unconditioned_star_principal.deny == _key_denied("Sid Anyone") with input as doc
}

test_star_in_role_trust_policy_denied if {
	statement := {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
	doc := fixtures.with_inputs(fixtures.stack, fixtures.role, {"assumeRolePolicy": _document([statement])})
	no_unconditioned_star_principal.deny == {{
		"resource": fixtures.role,
		"message": _message("IAM role trust policy", "fraud-detector-access-execution", "#1"),
	}} with input as doc
}

test_star_in_bucket_policy_denied if {
	tls_only := {
		"Effect": "Deny",
		"Principal": "*",
		"Action": "s3:*",
		"Resource": ["arn:aws:s3:::acme-prod-artifacts-x", "arn:aws:s3:::acme-prod-artifacts-x/*"],
		"Condition": {"Bool": {"aws:SecureTransport": "false"}},
	}
	read := {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-prod-artifacts-x/*"}
	doc := fixtures.with_inputs(fixtures.stack, fixtures.bucket_policy, {"policy": _document([tls_only, read])})
	no_unconditioned_star_principal.deny == {{
		"resource": fixtures.bucket_policy,
		"message": _message("S3 bucket policy", "platform-artifacts-tls-only", "Sid PublicRead"),
	}} with input as doc
}

test_star_in_separate_key_policy_resource_denied if {
	key_policy := fixtures.resource("aws:kms/keyPolicy:KeyPolicy", "platform-key-policy", null, [fixtures.key], {"policy": _document([_open_decrypt])})
	doc := fixtures.with_resources(fixtures.stack, [key_policy])
	no_unconditioned_star_principal.deny == {{
		"resource": key_policy.urn,
		"message": _message("KMS key policy", "platform-key-policy", "Sid Anyone"),
	}} with input as doc
}

# A narrowing operator on a key that does not name the caller narrows nothing.
test_narrowing_operator_on_another_key_denied if {
	statement := object.union(_open_decrypt, {"Condition": {"StringEquals": {"aws:UserAgent": "ml-platform"}}})
	doc := _with_key_statement(statement)
	no_unconditioned_star_principal.deny == _key_denied("Sid Anyone") with input as doc
}

# An empty list of accounts, or a value that is neither text nor a list, names no caller.
test_empty_or_malformed_condition_value_denied if {
	every value in [[], {"account": "123456789012"}] {
		statement := object.union(_open_decrypt, {"Condition": {"StringEquals": {"aws:SourceAccount": value}}})
		doc := _with_key_statement(statement)
		no_unconditioned_star_principal.deny == _key_denied("Sid Anyone") with input as doc
	}
}
