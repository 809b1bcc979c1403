"""What the Python side knows about the KPISim results file (docs/output-schema.md).

Every name of a dataset, coordinate, group or root attribute that the analysis package uses is
defined here, with how each daily variable aggregates over a week and how to label it in a plot.
The C++ side's authority is engine/src/io/variables.cpp; tests/python/test_analysis.py checks that
every daily variable of a freshly written file is described here, so a new engine output that this
table does not know fails a test instead of being silently mislabelled.
"""
from __future__ import annotations

from dataclasses import dataclass

# Dimensions.
RUN, DAY, UNIT, SNAPSHOT, AGENT = "run", "day", "unit", "snapshot", "agent"

# Coordinates on `run`.
POLICY, POLICY_TYPE, REPLICATION = "policy", "policy_type", "replication"
POINT, STATUS, ERROR = "point", "status", "error"  # sweep files only
PARAMETER_ROLE_ATTR, PARAMETER_ROLE = "kpisim_role", "parameter"  # marks a varied-parameter coordinate
STATUS_OK, STATUS_FAILED, STATUS_NOT_WRITTEN = 0, 1, -1

# Prefixes of the per-unit and snapshot variables.
UNIT_PREFIX, SNAP_PREFIX = "unit_", "snap_"

# Groups of a sweep file.
COMPARISON_GROUP = "comparison"  # comparison/OUTPUT, dimension `row`
SENSITIVITY_GROUP = "sensitivity"  # sensitivity/OUTPUT/POLICY, dimension `parameter`
COMPARISON_ROW_DIM = "row"
COMPARISON_POINT_SEPARATOR = " @ point "  # rows are "POLICY" or "POLICY @ point N"
COMPARISON_COLUMNS = ("mean", "lower", "upper", "n", "n_failed", "difference", "difference_lower",
                      "difference_upper", "unpaired_lower", "unpaired_upper")
SENSITIVITY_PARAMETER_DIM = "parameter"
SOBOL_COLUMNS = ("S1", "S1_lower", "S1_upper", "ST", "ST_lower", "ST_upper")
MORRIS_COLUMNS = ("mu_star", "mu", "sigma")

# Root attributes (provenance), in the order the report shows them.
PROVENANCE_ATTRS = ("engine_version", "git_commit", "build_type", "simd", "invariant_checks", "seed",
                    "scenario_name", "scenario_file", "kind", "threads", "command_line", "created_utc")
SCENARIO_ATTR, EXPERIMENT_ATTR, KIND_ATTR = "scenario", "experiment", "kind"
SWEEP_KIND = "sweep"
OPTIMISATION_KIND = "optimisation"
CALIBRATION_KIND = "calibration"  # `kpisim calibrate`: tables in group CALIBRATION_GROUP
CALIBRATION_GROUP = "calibration"
CALIBRATION_ATTR = "calibration"  # the resolved experiment with its calibrate: section (YAML)
# Attributes that every KPISim results file has; a file without them is not one.
REQUIRED_ATTRS = ("engine_version", "scenario", "seed")

# Calendar: day 0 is a Monday; days with day % 7 >= WORKDAYS_PER_WEEK are weekends.
DAYS_PER_WEEK, WORKDAYS_PER_WEEK = 7, 5


# How a daily variable is summarised over a week (and over a window of days):
#   "workday": mean over working days (the variable is 0 or NaN on weekends by construction:
#              value, hours, shares of work);
#   "state":   mean over all days (a state of the workforce: well-being, skills, headcount);
#   "flow":    a daily total: shown as a total per week (7 x the mean daily total).
WORKDAY, STATE, FLOW = "workday", "state", "flow"


@dataclass(frozen=True)
class Variable:
    """Presentation facts about one daily variable.

    label: short axis label (the file's `long_name` is the full definition);
    unit: the unit of the daily value (the file's `units`, spelled for people);
    kind: WORKDAY, STATE or FLOW (see above);
    percent: show as a percentage (a share in [0, 1] or a relative gap).
    """

    label: str
    unit: str
    kind: str
    percent: bool = False

    def weekly_unit(self) -> str:
        """The unit of the weekly aggregate shown in plots."""
        if self.percent:
            return "%"
        if self.kind == FLOW:
            return self.unit.replace("/day", "/week") if "/day" in self.unit else f"{self.unit}/week"
        if self.kind == WORKDAY:
            return self.unit.replace("/day", "/working day")
        return self.unit


# Every daily variable of docs/output-schema.md, in its order. A file may lack some (written by an
# older engine); one with a variable missing here is still read (results.variable infers it).
DAILY = {
    # productivity
    "headcount": Variable("headcount", "people", STATE),
    "true_value_per_fte": Variable("true value per employee", "USD/person/day", WORKDAY),
    "measured_value_per_fte": Variable("measured value per employee", "USD/person/day", WORKDAY),
    "ai_value_per_fte": Variable("value added by AI per employee (net)", "USD/person/day", WORKDAY),
    "ai_value_gross_per_fte": Variable("value added by AI per employee (gross)", "USD/person/day", WORKDAY),
    "manager_ai_value_belief": Variable("managers' belief in AI's value", "USD/person/day", WORKDAY),
    "ai_task_share": Variable("share of work hours with AI", "1", WORKDAY, percent=True),
    "backlog_hours_per_fte": Variable("backlog per employee", "h/person", STATE),
    # hours
    "hours_per_fte": Variable("hours worked per employee", "h/person/day", WORKDAY),
    "overtime_per_fte": Variable("overtime per employee", "h/person/day", WORKDAY),
    "manual_hours_per_fte": Variable("manual work", "h/person/day", WORKDAY),
    "ai_hours_per_fte": Variable("AI-assisted work", "h/person/day", WORKDAY),
    "verification_hours_per_fte": Variable("verification of AI output", "h/person/day", WORKDAY),
    "cleanup_hours_per_fte": Variable("clean-up of AI errors", "h/person/day", WORKDAY),
    "performative_hours_per_fte": Variable("performative AI use", "h/person/day", WORKDAY),
    "learning_hours_per_fte": Variable("learning AI", "h/person/day", WORKDAY),
    "training_hours_per_fte": Variable("AI training", "h/person/day", WORKDAY),
    "time_saved_per_fte": Variable("time saved by AI (net)", "h/person/day", WORKDAY),
    "time_saved_gross_per_fte": Variable("time saved by AI (gross)", "h/person/day", WORKDAY),
    # tokens and waste
    "tokens_productive": Variable("productive tokens", "tokens/day", FLOW),
    "tokens_rework": Variable("rework tokens", "tokens/day", FLOW),
    "tokens_performative": Variable("performative tokens", "tokens/day", FLOW),
    "tokens_scripted": Variable("scripted tokens", "tokens/day", FLOW),
    "ai_sessions": Variable("AI sessions", "sessions/day", FLOW),
    "token_cost_usd": Variable("token cost", "USD/day", FLOW),
    "energy_kwh": Variable("energy", "kWh/day", FLOW),
    # invisible labour
    "defects_caught": Variable("AI errors caught", "errors/day", FLOW),
    "defects_passed": Variable("AI errors passed on (workslop)", "errors/day", FLOW),
    "workslop_hours": Variable("workslop hours handed on", "h/day", FLOW),
    "workslop_recipient_share": Variable("received workslop in the last 28 days", "1", STATE, percent=True),
    "escalations": Variable("chatbot escalations", "requests/day", FLOW),
    "escalation_handoff_hours": Variable("escalations handed to a service team", "h/day", FLOW),
    "escalation_wait_days": Variable("wait for a service team", "days", WORKDAY),
    # well-being
    "exhaustion_mean": Variable("mean exhaustion", "MBI 0-6", STATE),
    "cynicism_mean": Variable("mean cynicism", "MBI 0-6", STATE),
    "efficacy_mean": Variable("mean efficacy", "MBI 0-6", STATE),
    "engagement_mean": Variable("mean engagement", "0-1", STATE),
    "burnout_share": Variable("share burnt out", "1", STATE, percent=True),
    "quits": Variable("quits", "people/day", FLOW),
    # skills
    "skill_mean": Variable("mean domain skill", "1 = typical", STATE),
    "output_diversity": Variable("diversity of outputs", "1 = all by hand", WORKDAY),
    "proficiency_mean": Variable("mean AI proficiency", "0-1", STATE),
    "trust_mean": Variable("mean trust in AI", "0-1", STATE),
    "belief_error": Variable("error of beliefs about AI", "1", WORKDAY),
    # KPI regime
    "pressure_mean": Variable("mean pressure from KPIs", "1", STATE),
    "mandate_share": Variable("share under an AI mandate", "1", STATE, percent=True),
    "scripting_share": Variable("share running padding scripts", "1", STATE, percent=True),
    "licensed_share": Variable("share with access to AI", "1", STATE, percent=True),
    "rewards_usd": Variable("KPI rewards paid", "USD/day", FLOW),
    "penalties_usd": Variable("audit penalties", "USD/day", FLOW),
    "audits": Variable("audits", "audits/day", FLOW),
    "audit_detections": Variable("audits that flagged someone", "audits/day", FLOW),
    "audit_false_positives": Variable("audits that flagged an honest record", "audits/day", FLOW),
    "audit_hours": Variable("hours taken by audits", "h/day", FLOW),
    # Goodhart diagnostics
    "kpi_value_correlation": Variable("KPI-true value correlation", "Pearson r", WORKDAY),
    "reported_true_gap": Variable("reported vs true value gap", "1", WORKDAY, percent=True),
    "performative_kpi_share": Variable("share of KPI from performative use", "1", WORKDAY, percent=True),
    # money view (true value - token cost - rewards paid + penalties; every day counts: prizes and
    # fines fall on the last day of a period, which may be a Sunday)
    "net_value_usd": Variable("net value to the organisation", "USD/day", FLOW),
    "net_value_per_fte": Variable("net value per employee", "USD/person/day", FLOW),
    "net_value_annual_usd": Variable("net value to the organisation, annual rate", "USD/year", STATE),
}

# The model's year (engine/include/kpisim/core/calendar.hpp): 52 weeks, 364 days, 260 working days.
DAYS_PER_YEAR = 364

def output_variable(name: str) -> Variable | None:
    """The Variable of a sweep output (a comparison table's name): a daily variable, or one
    division's series `unit_<variable>[<division>]`, labelled with the division. None if unknown."""
    if name.startswith(UNIT_PREFIX) and "[" in name and name.endswith("]"):
        var, division = name[len(UNIT_PREFIX):-1].split("[", 1)
        info = DAILY.get(var)
        return None if info is None else Variable(f"{info.label} in {division}", info.unit, info.kind, info.percent)
    return DAILY.get(name)


def infer_variable(long_name: str, units: str) -> Variable:
    """A Variable for a daily variable this table does not describe, from the file's attributes:
    per-person daily rates are WORKDAY, other daily totals FLOW, the rest STATE."""
    if units.endswith("person/day"):
        kind = WORKDAY
    elif units.endswith("/day"):
        kind = FLOW
    else:
        kind = STATE
    label = long_name.split(":")[0].split(" (")[0]
    return Variable(label, units, kind)


# Snapshot variables (without the `snap_` prefix) and their labels.
SNAPSHOT_VARIABLES = {
    "skill": "domain skill",
    "proficiency": "AI proficiency",
    "exhaustion": "exhaustion (MBI 0-6)",
    "cynicism": "cynicism (MBI 0-6)",
    "efficacy": "efficacy (MBI 0-6)",
    "kpi": "KPI (moving average, KPI points/day)",
    "true_value": "true value (moving average, USD/day)",
    "reward_usd": "cumulative rewards minus penalties (USD)",
    "reward_expected": "reward expected from the regime (USD per working day)",
    "scripting": "runs a padding script (0/1)",
    "team": "team index",
    "manager": "manages a team (0/1)",
}

# The token categories that add up to all tokens (tokens_scripted is part of tokens_performative).
TOKEN_CATEGORIES = ("tokens_productive", "tokens_rework", "tokens_performative")
