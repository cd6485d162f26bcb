"""Scenario files: schema, loading, validation and overrides."""

from simsales.scenario.errors import Problem, ScenarioError
from simsales.scenario.loader import load_scenario
from simsales.scenario.schema import SCHEMA_VERSION, Scenario

__all__ = ["SCHEMA_VERSION", "Problem", "Scenario", "ScenarioError", "load_scenario"]
