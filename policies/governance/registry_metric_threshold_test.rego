package mlops.governance.registry_metric_threshold_test

import rego.v1

import data.mlops.governance.registry_metric_threshold
import data.mlops.lib.fixtures_test as fixtures

_fraud_arn := "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/14"

_ticket_arn := "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-ticket-router/3"

_facts(arn, metrics) := {
	"found": true,
	"arn": arn,
	"approval_status": "Approved",
	"metrics": metrics,
	"metrics_source": "model_quality_statistics:s3://acme-prod-artifacts-x/evaluation.json",
}

# The fixture's specs with the evaluation sections of the example models.
_stack := json.patch(fixtures.stack, [
	{"op": "add", "path": "/models/0/spec/training", "value": {"evaluation": {"metric": "auc", "threshold": 0.92, "comparison": "greater_than_or_equal"}}},
	{"op": "add", "path": "/models/1/spec/training", "value": {"evaluation": {"metric": "rmse", "threshold": 0.3, "comparison": "less_than_or_equal"}}},
])

_live(fraud_metrics, ticket_metrics) := object.union(_stack, {"registry": {"source": "live", "packages": {
	"fraud-detector": _facts(_fraud_arn, fraud_metrics),
	"ticket-router": _facts(_ticket_arn, ticket_metrics),
}}})

test_metrics_meeting_thresholds_allowed if {
	doc := _live({"auc": 0.95, "f1": 0.7}, {"rmse": 0.3})
	count(registry_metric_threshold.deny) == 0 with input as doc
	count(registry_metric_threshold.unverified) == 0 with input as doc
}

test_metric_below_threshold_denied if {
	doc := _live({"auc": 0.9}, {"rmse": 0.1})
	registry_metric_threshold.deny == {{
		"resource": fixtures.model,
		"message": "Model fraud-detector pins model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/14 with auc 0.9; its spec requires auc >= 0.92 (metrics from model_quality_statistics:s3://acme-prod-artifacts-x/evaluation.json)",
	}} with input as doc
}

test_error_metric_above_threshold_denied if {
	doc := _live({"auc": 0.93}, {"rmse": 0.5})
	registry_metric_threshold.deny == {{
		"resource": fixtures.serverless_model,
		"message": "Model ticket-router pins model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-ticket-router/3 with rmse 0.5; its spec requires rmse <= 0.3 (metrics from model_quality_statistics:s3://acme-prod-artifacts-x/evaluation.json)",
	}} with input as doc
}

test_metric_not_recorded_denied if {
	doc := _live({"f1": 0.8, "accuracy": 0.9}, {"rmse": 0.1})
	registry_metric_threshold.deny == {{
		"resource": fixtures.model,
		"message": "Model fraud-detector pins model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/14, which records no auc metric (recorded: accuracy, f1); its spec requires auc >= 0.92",
	}} with input as doc
}

test_no_metrics_at_all_denied if {
	doc := _live({"auc": 0.95}, {})
	registry_metric_threshold.deny == {{
		"resource": fixtures.serverless_model,
		"message": "Model ticket-router pins model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-ticket-router/3, which records no rmse metric (recorded: none); its spec requires rmse <= 0.3",
	}} with input as doc
}

test_missing_package_denied if {
	doc := object.union(_live({"auc": 0.95}, {"rmse": 0.1}), {"registry": {"packages": {"fraud-detector": {"found": false, "arn": null, "metrics": {}}}}})
	registry_metric_threshold.deny == {{
		"resource": fixtures.model,
		"message": "Model fraud-detector pins model package version 14, which is not in the registry, so no auc metric is recorded for it",
	}} with input as doc
}

test_offline_facts_unverified if {
	doc := object.union(_stack, {"registry": {"source": "unavailable", "reason": "no AWS credentials", "packages": {}}})
	count(registry_metric_threshold.deny) == 0 with input as doc
	registry_metric_threshold.unverified == {
		{"resource": fixtures.model, "message": "Whether model package version 14 of fraud-detector meets auc >= 0.92 is unknown: no AWS credentials"},
		{"resource": fixtures.serverless_model, "message": "Whether model package version 3 of ticket-router meets rmse <= 0.3 is unknown: no AWS credentials"},
	} with input as doc
}

test_live_facts_without_the_model_denied if {
	doc := object.union(_stack, {"registry": {"source": "live", "packages": {"ticket-router": _facts(_ticket_arn, {"rmse": 0.1})}}})
	registry_metric_threshold.deny == {{
		"resource": fixtures.model,
		"message": "Model fraud-detector pins model package version 14, but the live registry facts do not cover it; its auc metric cannot be checked",
	}} with input as doc
}

_failing := _live({"auc": 0.5}, {"rmse": 0.9})

# Facts that are not live are never judged, whatever they hold.
test_facts_not_live_never_denied if {
	doc := object.union(_failing, {"registry": {"source": "cached", "packages": {"ticket-router": {"found": false, "arn": null, "metrics": {}}}}})
	count(registry_metric_threshold.deny) == 0 with input as doc
	unrecorded := json.patch(doc, [{"op": "replace", "path": "/registry/packages/fraud-detector/metrics", "value": {"f1": 0.5}}])
	count(registry_metric_threshold.deny) == 0 with input as unrecorded
}

# A package not in the registry is reported as missing only, whatever metrics come with it.
test_missing_package_with_metrics_reported_once if {
	doc := json.patch(_failing, [
		{"op": "replace", "path": "/registry/packages/fraud-detector/found", "value": false},
		{"op": "replace", "path": "/registry/packages/ticket-router/found", "value": false},
		{"op": "replace", "path": "/registry/packages/ticket-router/metrics", "value": {"f1": 0.5}},
	])
	registry_metric_threshold.deny == {
		{"resource": fixtures.model, "message": "Model fraud-detector pins model package version 14, which is not in the registry, so no auc metric is recorded for it"},
		{"resource": fixtures.serverless_model, "message": "Model ticket-router pins model package version 3, which is not in the registry, so no rmse metric is recorded for it"},
	} with input as doc
}

# Exactly at the threshold meets it, in both directions.
test_metric_at_threshold_allowed if {
	doc := _live({"auc": 0.92}, {"rmse": 0.3})
	count(registry_metric_threshold.deny) == 0 with input as doc
}

test_one_other_metric_recorded_named if {
	doc := _live({"f1": 0.8}, {"rmse": 0.1})
	registry_metric_threshold.deny == {{
		"resource": fixtures.model,
		"message": "Model fraud-detector pins model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/14, which records no auc metric (recorded: f1); its spec requires auc >= 0.92",
	}} with input as doc
}

test_metrics_without_source_come_from_the_registry if {
	doc := json.patch(_live({"auc": 0.9}, {"rmse": 0.1}), [{"op": "replace", "path": "/registry/packages/fraud-detector/metrics_source", "value": ""}])
	registry_metric_threshold.deny == {{
		"resource": fixtures.model,
		"message": "Model fraud-detector pins model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/14 with auc 0.9; its spec requires auc >= 0.92 (metrics from the registry)",
	}} with input as doc
}

test_offline_without_reason_unverified if {
	doc := object.union(_stack, {"registry": {"source": "unavailable", "reason": "", "packages": {}}})
	registry_metric_threshold.unverified == {
		{"resource": fixtures.model, "message": "Whether model package version 14 of fraud-detector meets auc >= 0.92 is unknown: no live registry facts were fetched"},
		{"resource": fixtures.serverless_model, "message": "Whether model package version 3 of ticket-router meets rmse <= 0.3 is unknown: no live registry facts were fetched"},
	} with input as doc
}

# Specs without a pinned version number, or with an evaluation that is not a metric name and a
# number, are left to spec validation: nothing to check here.
test_unpinned_or_malformed_evaluations_ignored if {
	doc := json.patch(_failing, [
		{"op": "replace", "path": "/models/0/spec/training/evaluation/threshold", "value": "0.92"},
		{"op": "replace", "path": "/models/1/spec/registry/pinned_version", "value": "latest"},
	])
	count(registry_metric_threshold.deny) == 0 with input as doc
	metric := json.patch(_failing, [
		{"op": "replace", "path": "/models/0/spec/training/evaluation/metric", "value": 7},
		{"op": "remove", "path": "/models/1/spec/training"},
	])
	count(registry_metric_threshold.deny) == 0 with input as metric
}

test_check_switched_off_by_parameter if {
	count(registry_metric_threshold.deny) == 0 with input as _failing with data.parameters.prod.require_package_metric_threshold as false
}
