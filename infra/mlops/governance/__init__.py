"""Governance: the Rego policy bundle, policy engines, enforcement levels, waivers and the gate decision."""
