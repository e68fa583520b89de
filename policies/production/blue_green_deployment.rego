# METADATA
# title: Endpoints deploy blue/green and roll back on alarms
# description: Checks whether every endpoint updates through a blue/green deployment that rolls back automatically on CloudWatch alarms defined in the same stack, where the environment requires it.
# custom:
#   id: endpoint-blue-green-rollback
#   severity: medium
#   controls: [SOC2:CC8.1, ISO27001:A.8.32, NIST800-53:CM-3, NIST800-53:CP-10, EU-AI-ACT:Art.15, NIST-AI-RMF:MANAGE-2.4, ISO42001:A.6.2.5]
#   resource_types: [aws:sagemaker/endpoint:Endpoint]
#   waivable: true
package mlops.production.blue_green_deployment

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	some endpoint in _endpoints
	not is_object(lib.value_at(endpoint, ["inputs", "deploymentConfig", "blueGreenUpdatePolicy"]))
	violation := {
		"resource": endpoint.urn,
		"message": sprintf("Endpoint %s must deploy through a blue/green update policy (deploymentConfig.blueGreenUpdatePolicy)", [endpoint.name]),
	}
}

deny contains violation if {
	some endpoint in _endpoints
	count(_rollback_alarms(endpoint)) == 0
	violation := {
		"resource": endpoint.urn,
		"message": sprintf("Endpoint %s must roll back automatically on CloudWatch alarms (deploymentConfig.autoRollbackConfiguration.alarms)", [endpoint.name]),
	}
}

deny contains violation if {
	some endpoint in _endpoints
	some alarm in _rollback_alarms(endpoint)
	name := lib.string_at(alarm, ["alarmName"])
	not name in _stack_alarms
	violation := {
		"resource": endpoint.urn,
		"message": sprintf("Endpoint %s must roll back on alarms the stack defines; no CloudWatch alarm is named %q", [endpoint.name, name]),
	}
}

_endpoints := [endpoint |
	lib.parameters.require_blue_green_deployment == true
	some endpoint in lib.resources_of("aws:sagemaker/endpoint:Endpoint")
]

_rollback_alarms(endpoint) := lib.array_at(endpoint, ["inputs", "deploymentConfig", "autoRollbackConfiguration", "alarms"])

_stack_alarms contains name if {
	some alarm in lib.resources_of("aws:cloudwatch/metricAlarm:MetricAlarm")
	name := lib.string_at(alarm, ["inputs", "name"])
	name != ""
}

_stack_alarms contains name if {
	some alarm in lib.resources_of("aws:cloudwatch/compositeAlarm:CompositeAlarm")
	name := lib.string_at(alarm, ["inputs", "alarmName"])
	name != ""
}
