# METADATA
# title: Endpoints have alarms that notify someone
# description: Checks whether every realtime and asynchronous endpoint, and each of its production variants, has a CloudWatch alarm with an alarm action, where the environment requires monitoring.
# custom:
#   id: endpoint-alarms
#   severity: medium
#   controls: [SOC2:CC7.2, SOC2:CC7.3, ISO27001:A.8.16, NIST800-53:SI-4(5), HIPAA:164.308(a)(6)(ii), EU-AI-ACT:Art.72, NIST-AI-RMF:MANAGE-4.1, ISO42001:A.6.2.6]
#   resource_types: [aws:sagemaker/endpoint:Endpoint]
#   waivable: true
package mlops.production.endpoint_alarms

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	lib.parameters.require_monitoring == true
	some endpoint in lib.resources_of("aws:sagemaker/endpoint:Endpoint")
	lib.instance_backed_endpoint(endpoint)
	not _alarmed(endpoint)
	violation := {
		"resource": endpoint.urn,
		"message": sprintf("Endpoint %s must have at least one CloudWatch alarm with alarmActions", [endpoint.name]),
	}
}

# An alarm on one variant's metrics (dimensions.VariantName) says nothing about another's: each
# production variant of an A/B test needs its own, or one on the whole endpoint.
deny contains violation if {
	lib.parameters.require_monitoring == true
	some endpoint in lib.resources_of("aws:sagemaker/endpoint:Endpoint")
	_alarmed(endpoint)
	some config in lib.endpoint_configs(endpoint)
	some variant in lib.array_at(config, ["inputs", "productionVariants"])
	not lib.serverless(variant)
	name := lib.string_at(variant, ["variantName"])
	not _alarmed_variant(endpoint, name)
	violation := {
		"resource": endpoint.urn,
		"message": sprintf("Endpoint %s must have a CloudWatch alarm with alarmActions on its variant %s (dimensions.VariantName %s, or no VariantName for the whole endpoint)", [endpoint.name, name, name]),
	}
}

_alarmed_variant(endpoint, name) if {
	some alarm in lib.resources_of("aws:cloudwatch/metricAlarm:MetricAlarm")
	_watches(alarm, endpoint)
	count(lib.array_at(alarm, ["inputs", "alarmActions"])) > 0
	lib.value_at(alarm, ["inputs", "dimensions", "VariantName"]) in {name, null}
}

_alarmed(endpoint) if {
	some alarm in lib.resources_of("aws:cloudwatch/metricAlarm:MetricAlarm")
	_watches(alarm, endpoint)
	count(lib.array_at(alarm, ["inputs", "alarmActions"])) > 0
}

_watches(alarm, endpoint) if lib.depends_on(alarm, endpoint)

_watches(alarm, endpoint) if {
	name := lib.string_at(endpoint, ["inputs", "name"])
	name != ""
	lib.string_at(alarm, ["inputs", "dimensions", "EndpointName"]) == name
}
