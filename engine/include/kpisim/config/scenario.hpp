#pragma once
// The scenario: plain parameter structs with documented defaults. Every field is declared once in
// its struct's `visit`; see params.hpp. A minimal scenario file is a few lines because every field
// has a default here. Units are in names or in Meta; sources are cited in docs/model.md.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kpisim/config/diagnostics.hpp"
#include "kpisim/config/params.hpp"

namespace kpisim {

class RegimeConfig;  // regimes/regime.hpp

/// A named entry of a weight map (e.g. a task mix), with its position in the scenario file.
struct WeightEntry {
  std::string name;
  double value = 0.0;
  int line = -1;  ///< 0-based line in the file, -1 when not from a file
  int col = -1;
};

/// A KPI policy: a regime type and its typed parameters.
struct PolicySpec {
  std::string name;  ///< label of the policy in outputs (the key under `policies`)
  std::string type = "none";
  std::shared_ptr<RegimeConfig> config;  ///< created by the regime registry
  int line = -1;
  int col = -1;
  /// The divisions the policy applies to (`scope: [it, claims]`); empty: the whole organisation.
  /// Within a hybrid or a schedule, a component's scope lies within its policy's.
  std::vector<WeightEntry> scope;  ///< names with their positions (value unused)

  /// Reads/writes `type` and the regime's own parameters from the same mapping.
  template <class V>
  void visit(V& v) {
    v.policy_body(*this);
  }
};

enum class Frontier : std::uint8_t { inside, outside };
enum class ToolKind : std::uint8_t { assistant, chatbot };

/// A task type: the unit of work that arrives and is done manually or with AI.
struct TaskType {
  std::string name;
  double base_hours = 1.0;
  double value_usd = 60.0;
  double stakes_hours = 0.5;
  Frontier frontier = Frontier::inside;
  std::string tool = "assistant";
  // AI effect of the task's tool on this task (negative gain: outside the frontier).
  double ai_time_factor = 0.88;
  double ai_quality_change = 0.0;
  double novice_gain_slope = 2.4;
  double defect_prob = 0.05;
  double tokens_per_use = 4000.0;
  double fix_hours = 0.25;

  template <class V>
  void visit(V& v) {
    v.num("base_hours", base_hours, {"h", 0.01, 200, "manual hours per task for a worker of skill 1", "assumption"});
    v.num("value_usd", value_usd, {"USD", 0, 1e7, "value of one task done correctly", "assumption (~60 USD/h)"});
    v.num("stakes_hours", stakes_hours,
          {"h", 0, 1000, "clean-up hours caused downstream by one undetected AI error",
           "BetterUp Labs & Stanford 2025 (1 h 56 min per workslop incident)"});
    v.choice("frontier", frontier,
             std::array{params::Choice<Frontier>{"inside", Frontier::inside}, params::Choice<Frontier>{"outside", Frontier::outside}},
             {"where the task sits on the jagged frontier: inside, AI lifts novices most (novice_gain_slope applies); outside, it does not "
              "(its harm comes through ai_quality_change, defect_prob and stakes)",
              "Dell'Acqua et al. 2023"});
    v.text("tool", tool, {"name of the AI tool used for this task (a key of `tools`)", ""});
    v.num("ai_time_factor", ai_time_factor,
          {"1", 0.01, 10, "hours with AI / manual hours for the task", "Dell'Acqua et al. 2023 (25.1% faster); Noy & Zhang 2023 (-40%)"});
    v.num("ai_quality_change", ai_quality_change,
          {"1", -1, 10, "relative change in the value of a task's output when done with AI (quality)",
           "Noy & Zhang 2023 (+18%); Dell'Acqua et al. 2023 (+40% inside; -19 pp correct outside)"});
    v.num("novice_gain_slope", novice_gain_slope,
          {"1", 0, 20,
           "inside the frontier, a positive gain in value per hour rises by this share of itself per unit of skill below 1 (novices gain "
           "more)",
           "Brynjolfsson, Li & Raymond 2023 (+34% novices, ~0 experts)"});
    v.num("defect_prob", defect_prob,
          {"1", 0, 1, "probability that one AI output has an error", "Vectara 2023 (3-27%); Magesh et al. 2025 (17-33%)"});
    v.num("tokens_per_use", tokens_per_use, {"token", 0, 1e9, "tokens per AI-assisted task", "assumption"});
    v.num("fix_hours", fix_hours, {"h", 0, 100, "hours to fix an AI error caught by verification", "assumption"});
  }
};

/// An AI tool: price, energy, capability and, for chatbots, containment.
struct Tool {
  std::string name;
  ToolKind kind = ToolKind::assistant;
  double usd_per_mtok = 5.0;
  double wh_per_ktok = 0.3;
  double containment = 0.58;
  double escalation_hours = 0.5;
  double quality = 1.0;
  double guided = 0.0;
  double homogenisation = 0.3;
  std::string service_division;
  double wait_hindrance = 0.05;

  template <class V>
  void visit(V& v) {
    v.choice("kind", kind,
             std::array{params::Choice<ToolKind>{"assistant", ToolKind::assistant}, params::Choice<ToolKind>{"chatbot", ToolKind::chatbot}},
             {"assistant (used at the worker's choice) or chatbot (the front door for requests: always used)", ""});
    v.num("usd_per_mtok", usd_per_mtok,
          {"USD/Mtok", 0, 1e4, "blended price per million tokens", "token leaderboard figure: ~1.4M USD for 281B tokens (~5 USD/Mtok)"});
    v.num("wh_per_ktok", wh_per_ktok,
          {"Wh/ktok", 0, 1e4, "energy per thousand tokens",
           "Google 2025 / Epoch AI 2025 (0.24-0.34 Wh per median prompt; ~2.5 Wh per 10k tokens)"});
    v.num("containment", containment,
          {"1", 0, 1, "chatbots: share of requests resolved without a human", "Gartner 2023 (58% simple, 17% complex)"});
    v.num("escalation_hours", escalation_hours,
          {"h", 0, 100, "chatbots: extra requester hours when a request escalates to a human", "assumption"});
    v.num("quality", quality,
          {"1", 0.1, 10,
           "capability relative to the tool the task figures describe (1: as described): every shortfall of the tool is divided "
           "by it - the AI time factor, the odds of an error, a chatbot's odds of not resolving a request and a loss of output "
           "quality (docs/model.md 7.3)",
           "assumption (one scale for 'what if our AI is better')"});
    v.num("guided", guided,
          {"1", 0, 1,
           "share of an AI-assisted hour the person still works through herself (a tutor that gives hints, not answers): it "
           "builds domain skill as manual practice does and does not erode it (0: the tool does the work; docs/model.md 7.12)",
           "Bastani et al. 2025 (a guard-railed tutor: practice +127%, no loss on the unassisted exam; an open chatbot: +48%, "
           "-17%); 1 for such a tutor is an assumption"});
    v.num("homogenisation", homogenisation,
          {"1", 0, 1,
           "share of what a person makes with the tool that comes from the model rather than from her, and is much the same for "
           "everyone who uses it: it lowers output_diversity (docs/model.md 7.20)",
           "assumption; direction: Doshi & Hauser 2024 (stories written with an LLM's ideas are more alike), Wenger & Kenett "
           "2025 (different LLMs write alike)"});
    v.text("service_division", service_division,
           {"chatbots: the division whose people handle the requests the bot escalates (docs/model.md 7.9; empty: the requester "
            "handles them herself)",
            ""});
    v.num("wait_hindrance", wait_hindrance,
          {"1", 0, 100,
           "chatbots with a service division: hindrance demand on the requester per escalated request and per working day it waits in "
           "the service division's queue (frustration)",
           "assumption"});
  }
};

/// A top-level unit (division) with its share of the workforce and its task mix.
struct Division {
  std::string name;
  double share = 1.0;
  std::vector<WeightEntry> task_mix;
  double workload = 1.1;
  double skill_scale = 1.0;
  bool learners = false;

  template <class V>
  void visit(V& v) {
    v.num("share", share, {"1", 0, 1e6, "relative share of employees (normalised over divisions)", ""});
    v.weights("task_mix", task_mix, {"1", 0, 1e6, "share of the workload (manual hours) by task type; normalised", ""});
    v.num("workload", workload, {"1", 0, 10, "arriving work as a multiple of the norm hours", "assumption"});
    v.num("skill_scale", skill_scale,
          {"1", 0.05, 10,
           "multiplies the skill of the division's people: the potential drawn from the workforce's distribution and a "
           "replacement's starting skill (then bounded to [0.2, 2.5]); e.g. 0.8 for a less experienced division",
           "1 (the workforce's distribution)"});
    v.flag("learners", learners,
           {"the division's people are learners (students, trainees): the first cohort starts as novices at "
            "`workforce.replacement_skill`, as replacements do, instead of at its potential (docs/model.md 5, 7.12)",
            ""});
  }
};

struct Organisation {
  int employees = 200;
  int team_size = 8;
  int span = 5;
  std::vector<Division> divisions;

  template <class V>
  void visit(V& v) {
    v.integer("employees", employees, {"person", 2, 50'000'000, "number of employees, managers included", ""});
    v.integer("team_size", team_size, {"person", 2, 1000, "employees per team, the manager included", "assumption"});
    v.integer("span", span, {"unit", 2, 1000, "sub-units per manager above team level", "assumption"});
    v.named("divisions", divisions, {"top-level units; each gets `share` of the employees", ""}, params::Merge::replace);
  }
};

/// Distribution of initial traits of employees (and of replacements).
struct Workforce {
  double skill_mean = 1.0;
  double skill_sd = 0.3;
  double replacement_skill = 0.5;
  double proficiency_mean = 0.2;
  double proficiency_sd = 0.1;
  double prior_gain = 0.2;
  double prior_gain_sd = 0.15;
  double integrity_mean = 0.7;
  double integrity_sd = 0.15;
  double reward_sensitivity_mean = 1.0;
  double reward_sensitivity_sd = 0.3;
  double script_scale_sigma = 1.5;
  double strain_sigma = 0.5;
  double trust_mean = 0.6;
  double trust_sd = 0.15;

  template <class V>
  void visit(V& v) {
    v.num("skill_mean", skill_mean,
          {"1", 0.05, 5, "mean domain skill (1 = typical worker; manual value per hour scales with it)", "normalisation"});
    v.num("skill_sd", skill_sd, {"1", 0, 5, "standard deviation of skill (truncated to [0.2, 2.5])", "assumption"});
    v.num("replacement_skill", replacement_skill,
          {"1", 0.05, 5, "skill of a new hire replacing a leaver", "Brynjolfsson et al. 2023 (novices at 0-2 months)"});
    v.num("proficiency_mean", proficiency_mean, {"1", 0, 1, "mean initial AI proficiency", "assumption"});
    v.num("proficiency_sd", proficiency_sd, {"1", 0, 1, "sd of initial AI proficiency", "assumption"});
    v.num("prior_gain", prior_gain,
          {"1", -1, 5, "mean prior belief about AI's value gain on every task (hype: above the truth for most tasks)",
           "METR 2025 (developers believed +20% while 19% slower)"});
    v.num("prior_gain_sd", prior_gain_sd, {"1", 0, 5, "sd of the prior belief across people", "assumption"});
    v.num("integrity_mean", integrity_mean, {"1", 0, 1, "mean integrity (aversion to gaming, in [0,1])", "assumption"});
    v.num("integrity_sd", integrity_sd, {"1", 0, 1, "sd of integrity (truncated to [0,1])", "assumption"});
    v.num("reward_sensitivity_mean", reward_sensitivity_mean,
          {"1", 0, 10, "utility per USD of incentive relative to USD of value", "normalisation"});
    v.num("reward_sensitivity_sd", reward_sensitivity_sd, {"1", 0, 10, "sd of reward sensitivity (truncated at 0)", "assumption"});
    v.num("script_scale_sigma", script_scale_sigma,
          {"1", 0, 5, "log-sd of the size of a person's scripted padding (heavy tail)",
           "token leaderboard: top user 281B tokens in 30 days"});
    v.num("trust_mean", trust_mean, {"1", 0, 1, "mean initial trust in AI output", "assumption"});
    v.num("trust_sd", trust_sd, {"1", 0, 1, "sd of initial trust (truncated to [0,1])", "assumption"});
    v.num("strain_sigma", strain_sigma,
          {"1", 0, 5, "log-sd of individual sensitivity to job demands (exhaustion drain multiplier)", "assumption"});
  }
};

/// The allocation of the day's hours (utility, effort cost, bounded rationality).
struct Behaviour {
  double norm_hours = 8.0;
  double max_hours = 12.0;
  double effort_cost = 8.0;
  double crowding = 3.0;
  double intrinsic_weight = 1.0;
  double decision_noise_usd = 3.0;
  double choice_temperature_usd = 4.0;
  double cynicism_drag = 0.5;
  double pressure_usd_per_hour = 20.0;
  double mandate_usd_per_hour = 15.0;
  double integrity_cost_usd_per_hour = 20.0;
  double padding_tokens_per_hour = 200000.0;
  double padding_sessions_per_hour = 20.0;
  double script_sessions_per_day = 500.0;
  double learning_value_usd_per_hour = 25.0;
  double learning_tokens_per_hour = 20000.0;
  double max_learning_hours = 2.0;
  double verification_ratio = 0.3;
  double verification_efficacy = 0.8;
  double max_cleanup_hours = 4.0;
  double workslop_share = 0.5;
  double script_tokens_per_day = 2.0e6;
  double script_integrity_cost_usd = 60.0;
  double script_hysteresis_usd = 10.0;
  double adoption_friction_usd_per_hour = 4.0;
  double efficacy_friction = 1.0;
  double script_cost_usd_per_mtok = 1.0;

  template <class V>
  void visit(V& v) {
    v.num("norm_hours", norm_hours, {"h/day", 1, 24, "contractual hours per working day", ""});
    v.num("max_hours", max_hours, {"h/day", 1, 24, "hard cap on hours worked in a day", "Homer 1985 (cap on hours)"});
    v.num("effort_cost", effort_cost,
          {"USD/h^2", 0, 1e4, "c: convex effort cost (c/2) t^2 per activity", "calibrated: ~8 h/day at the norm"});
    v.num("crowding", crowding,
          {"USD/h^2", 0, 1e4,
           "delta: cross-activity cost delta*t_i*t_j (activities compete for time); at most effort_cost (equal: perfect substitutes)",
           "Holmstrom & Milgrom 1991"});
    v.num("intrinsic_weight", intrinsic_weight, {"1", 0, 100, "weight on the believed true value of one's work", "normalisation"});
    v.num("decision_noise_usd", decision_noise_usd,
          {"USD/h", 0, 1e4, "sd of noise on each activity's marginal utility (bounded rationality; 0: exact optimum)", "assumption"});
    v.num("choice_temperature_usd", choice_temperature_usd,
          {"USD/h", 0, 1e4, "logit temperature of the AI-or-manual choice per task type (0: hard threshold)", "assumption"});
    v.num("cynicism_drag", cynicism_drag,
          {"1", 0, 1, "share of believed AI value discounted at full cynicism (cynicism lowers genuine adoption)", "assumption"});
    v.num("pressure_usd_per_hour", pressure_usd_per_hour,
          {"USD/h", 0, 1e5, "felt value of one hour of visible AI use at manager pressure 1", "assumption"});
    v.num("mandate_usd_per_hour", mandate_usd_per_hour,
          {"USD/h", 0, 1e5, "felt value of complying with an AI mandate, per hour", "assumption"});
    v.num("integrity_cost_usd_per_hour", integrity_cost_usd_per_hour,
          {"USD/h", 0, 1e5, "disutility of one hour of performative use at integrity 1", "assumption"});
    v.num("padding_tokens_per_hour", padding_tokens_per_hour,
          {"token/h", 0, 1e10, "tokens burnt per hour of manual performative prompting", "assumption"});
    v.num("padding_sessions_per_hour", padding_sessions_per_hour,
          {"session/h", 0, 1e9, "AI sessions (prompts) per hour of manual performative use", "assumption"});
    v.num("script_sessions_per_day", script_sessions_per_day,
          {"session/day", 0, 1e12, "median AI sessions a padding script opens per day (scaled like its tokens)", "assumption"});
    v.num("learning_value_usd_per_hour", learning_value_usd_per_hour,
          {"USD/h", 0, 1e5, "believed value of an hour learning AI at proficiency 0", "assumption"});
    v.num("learning_tokens_per_hour", learning_tokens_per_hour, {"token/h", 0, 1e10, "tokens used per hour of learning", "assumption"});
    v.num("max_learning_hours", max_learning_hours, {"h/day", 0, 24, "cap on learning hours per day", "assumption"});
    v.num("verification_ratio", verification_ratio,
          {"1", 0.001, 10, "hours of checking per hour of AI-assisted work for full coverage",
           "Workday 2026 (37% of time saved lost to review and fixing)"});
    v.num("verification_efficacy", verification_efficacy, {"1", 0, 1, "share of errors found at full coverage", "assumption"});
    v.num("workslop_share", workslop_share,
          {"1", 0, 1, "share of an undetected error's clean-up that lands on colleagues (the rest returns to its author)",
           "BetterUp Labs & Stanford 2025 (40% received workslop last month)"});
    v.num("max_cleanup_hours", max_cleanup_hours, {"h/day", 0, 24, "most clean-up hours done in a day (the rest waits)", "assumption"});
    v.num("script_tokens_per_day", script_tokens_per_day,
          {"token/day", 0, 1e13, "median tokens a padding script burns per day (weekends included)",
           "token leaderboard: >60T tokens/30 days over >85k employees"});
    v.num("script_integrity_cost_usd", script_integrity_cost_usd,
          {"USD/day", 0, 1e6, "daily disutility of running a script at integrity 1", "assumption"});
    v.num("script_hysteresis_usd", script_hysteresis_usd,
          {"USD/day", 0, 1e6, "net gain needed to start (or loss to stop) a script", "assumption"});
    v.num("script_cost_usd_per_mtok", script_cost_usd_per_mtok,
          {"USD/Mtoken", 0, 1e6,
           "felt cost of a script's size per million tokens a day (the larger the script, the likelier it is noticed); it bounds the "
           "script a person runs",
           "assumption"});
    v.num("adoption_friction_usd_per_hour", adoption_friction_usd_per_hour,
          {"USD/h", 0, 1e5,
           "felt cost of working with AI instead of by habit, per hour, at proficiency 0 (falls linearly to 0 at proficiency 1)",
           "assumption (Humlum & Vestergaard 2025: training needs and habit are the main adoption barriers)"});
    v.num("efficacy_friction", efficacy_friction,
          {"1", 0, 10,
           "relative change in the adoption friction per unit professional efficacy (0-1) below 0.87, the baseline's (people who "
           "feel less competent shy away from a new way of working: friction x max(0, 1 + this x (0.87 - efficacy)))",
           "Bandura 1977; Compeau & Higgins 1995 (self-efficacy and technology use); assumption for the size"});
  }
};

struct Arrivals {
  double workload_cv = 0.2;
  double max_backlog_days = 5.0;

  template <class V>
  void visit(V& v) {
    v.num("workload_cv", workload_cv, {"1", 0, 5, "coefficient of variation of daily arriving work (lognormal)", "assumption"});
    v.num("max_backlog_days", max_backlog_days,
          {"day", 0.1, 1000, "pending work beyond this many norm-days is dropped (lost value)", "assumption"});
  }
};

struct Learning {
  double belief_rate = 0.05;
  double observation_sd = 0.3;
  double proficiency_rate = 0.01;
  double learning_rate = 0.05;
  double skill_practice_rate = 0.0015;
  double skill_erosion_rate = 0.0001;
  double trust_rate = 0.02;
  double perception_bias = 0.0;

  template <class V>
  void visit(V& v) {
    v.num("belief_rate", belief_rate, {"1/h", 0, 1, "belief update per hour of AI use on a task type (experience-weighted)", "assumption"});
    v.num("observation_sd", observation_sd, {"1", 0, 10, "sd of one day's experienced gain around the true gain", "assumption"});
    v.num("proficiency_rate", proficiency_rate,
          {"1/h", 0, 1, "AI proficiency growth per hour of genuine AI use (times 1-proficiency)",
           "Brynjolfsson et al. 2023 (2 months assisted ~ 6 months unassisted)"});
    v.num("learning_rate", learning_rate,
          {"1/h", 0, 1, "proficiency growth per dedicated learning hour (times 1-proficiency)", "assumption"});
    v.num("skill_practice_rate", skill_practice_rate,
          {"1/h", 0, 1,
           "skill growth per manual hour, times the gap to the person's potential (a new hire closes ~78% of it in 1,000 manual hours, "
           "about six months)",
           "Brynjolfsson, Li & Raymond 2023 (unassisted agents still improving at six months' tenure); assumption for the size"});
    v.num("skill_erosion_rate", skill_erosion_rate,
          {"1/h", 0, 1, "skill decay per AI-assisted hour (times skill): AI doing the thinking",
           "Bastani et al. 2025 (-17% on the exam after unrestricted use)"});
    v.num("trust_rate", trust_rate,
          {"1/task", 0, 1, "trust update per AI-assisted task towards the share seen without error", "assumption"});
    v.num("perception_bias", perception_bias,
          {"1", -1, 1, "bias of perceived AI gain (relative value per hour) over the gain experienced",
           "METR 2025: developers 19% slower believed they were 20% faster (about +0.39); 0: unbiased"});
  }
};

/// Job demands-resources dynamics of exhaustion, cynicism, efficacy and engagement (daily rates).
struct Wellbeing {
  double drain_rate = 0.03;
  double recovery_rate_workday = 0.0075;
  double recovery_rate_day_off = 0.05;
  double weight_overtime = 1.0;
  double weight_cleanup = 1.0;
  double weight_hindrance = 0.6;
  double weight_fear = 0.3;
  double weight_backlog = 0.1;
  double base_demand = 0.8;
  double resources_autonomy = 0.6;
  double resources_support = 0.4;
  double cynicism_rate = 0.03;
  double cynicism_from_exhaustion = 0.004;
  double cynicism_recovery = 0.01;
  double efficacy_rate = 0.02;
  double engagement_rate = 0.02;
  double burnout_threshold = 0.5;
  double performance_loss = 0.2;
  double engagement_performance = 0.5;
  double weight_reward = 0.5;
  double reward_expectation_rate = 0.01;

  template <class V>
  void visit(V& v) {
    v.num("drain_rate", drain_rate,
          {"1/day", 0, 10, "exhaustion gain per unit of demand, divided by (1 + resources)",
           "Evers et al. sdbuildR JD-R vignette (drain 0.4 X D/(1+R)); Bakker & Demerouti 2007"});
    v.num("recovery_rate_workday", recovery_rate_workday,
          {"1/day", 0, 10, "exhaustion recovery per unit of resources on a working day", "assumption"});
    v.num("recovery_rate_day_off", recovery_rate_day_off,
          {"1/day", 0, 10, "exhaustion recovery on a day off (chronic exhaustion: time constant ~3 weeks)",
           "calibrated; de Bloom et al. 2009/2013 (acute well-being: ~1 week)"});
    v.num("weight_overtime", weight_overtime, {"1", 0, 100, "demand per norm-day of hours over the norm", "assumption"});
    v.num("weight_cleanup", weight_cleanup,
          {"1", 0, 100, "demand per norm-day of clean-up hours", "Upwork 2024 (77% say AI added to workload)"});
    v.num("weight_hindrance", weight_hindrance,
          {"1", 0, 100, "demand per unit of hindrance (pressure, meaningless mandates, shame)", "Bakker & Demerouti 2007"});
    v.num("weight_fear", weight_fear, {"1", 0, 100, "demand per unit of fear of replacement", "assumption"});
    v.num("weight_backlog", weight_backlog, {"1", 0, 100, "demand per norm-day of pending work beyond one day's work", "assumption"});
    v.num("base_demand", base_demand,
          {"1", 0, 100, "demand of an ordinary working day",
           "calibrated: mean exhaustion ~2.2 on the MBI-GS 0-6 scale and ~15% high exhaustion at the end of a working week in the default "
           "comparison baseline"});
    v.num("resources_autonomy", resources_autonomy,
          {"1", 0, 100, "resources from autonomy (halved under a mandate)", "Bakker & Demerouti 2007"});
    v.num("resources_support", resources_support, {"1", 0, 100, "resources from team and manager support", "assumption"});
    v.num("cynicism_rate", cynicism_rate,
          {"1/day", 0, 10, "cynicism gain per norm-day of meaningless work (performative use, mandated harmful use)", "assumption"});
    v.num("cynicism_from_exhaustion", cynicism_from_exhaustion,
          {"1/day", 0, 10, "cynicism gain per unit of exhaustion", "Maslach & Leiter (exhaustion precedes cynicism)"});
    v.num("cynicism_recovery", cynicism_recovery, {"1/day", 0, 10, "daily decay of cynicism", "assumption"});
    v.num("efficacy_rate", efficacy_rate, {"1/day", 0, 10, "daily adjustment of efficacy towards achieved/expected output", "assumption"});
    v.num("engagement_rate", engagement_rate,
          {"1/day", 0, 10, "engagement growth rate from resources", "Evers et al. sdbuildR JD-R vignette (0.2 X R (1+D)(1-E))"});
    v.num("burnout_threshold", burnout_threshold,
          {"1", 0, 1, "exhaustion (0-1) counted as high burnout; 0.5 = MBI emotional exhaustion 27/54",
           "Maslach Burnout Inventory (EE >= 27 high)"});
    v.num("performance_loss", performance_loss,
          {"1", 0, 1, "share of the value of work lost at full exhaustion (value x (1 - loss x exhaustion))",
           "Bakker & Demerouti 2007 (health-impairment path); assumption for the size"});
    v.num("engagement_performance", engagement_performance,
          {"1", 0, 10,
           "relative change in the value of work per unit engagement above (or below) 0.74, the baseline's (discretionary effort: "
           "value x (1 + this x (engagement - 0.74)))",
           "Christian, Garza & Slaughter 2011 meta-analysis (engagement and task performance, rho about 0.43; the motivational path of "
           "Bakker & Demerouti 2007); assumption for the size"});
    v.num("weight_reward", weight_reward,
          {"1", 0, 100,
           "resources per unit of the reward a person expects from the regime, relative to the value of her norm day (bounded to 1); "
           "expected penalties are a hindrance of the same weight",
           "Siegrist 1996 (effort-reward imbalance); Demerouti et al. 2001 (rewards among job resources); assumption for the size: a "
           "reward doubling the value of her day adds about what team support does (pay and job attitudes correlate weakly, "
           "Judge et al. 2010)"});
    v.num("reward_expectation_rate", reward_expectation_rate,
          {"1/day", 0.001, 1,
           "weight of what reached her since her last working day in the reward she expects per working day (adaptive expectations)",
           "assumption (a memory of about 100 working days, longer than a quarterly bonus period; Nerlove 1958)"});
  }
};

struct Attrition {
  double annual_turnover = 0.12;
  double exhaustion_sensitivity = 3.0;
  double cynicism_sensitivity = 2.0;
  double engagement_sensitivity = 2.0;
  double efficacy_sensitivity = 1.0;

  template <class V>
  void visit(V& v) {
    v.num("annual_turnover", annual_turnover,
          {"1/year", 0, 0.99, "yearly quit probability at the baseline's well-being (exhaustion 0.35, cynicism 0.33 on 0-1 scales)",
           "assumption (typical voluntary turnover)"});
    v.num("exhaustion_sensitivity", exhaustion_sensitivity,
          {"1", 0, 50, "log-hazard increase per unit exhaustion above 0.35", "assumption"});
    v.num("cynicism_sensitivity", cynicism_sensitivity, {"1", 0, 50, "log-hazard increase per unit cynicism above 0.33", "assumption"});
    v.num("engagement_sensitivity", engagement_sensitivity,
          {"1", 0, 50, "log-hazard increase per unit engagement below 0.74 (the baseline's)",
           "Halbesleben 2010 meta-analysis (engagement and turnover intention, rho about -0.26); assumption for the size"});
    v.num("efficacy_sensitivity", efficacy_sensitivity,
          {"1", 0, 50, "log-hazard increase per unit professional efficacy (0-1) below 0.87 (the baseline's)",
           "Lee & Ashforth 1996 meta-analysis (diminished accomplishment relates to turnover intention, more weakly than exhaustion); "
           "assumption for the size"});
  }
};

/// The organisation's measurement system: what dashboards and outcome metrics see.
struct Measurement {
  double usage_noise_cv = 0.0;
  double outcome_noise_cv = 0.3;
  double gaming_usd_per_hour = 200.0;
  double ema_days = 20.0;
  double kpi_reference_tokens = 1.0e5;
  double kpi_reference_usd = 480.0;
  double kpi_reference_sessions = 20.0;

  template <class V>
  void visit(V& v) {
    v.num("usage_noise_cv", usage_noise_cv, {"1", 0, 10, "multiplicative noise of the usage dashboard (0: exact)", "assumption"});
    v.num("outcome_noise_cv", outcome_noise_cv,
          {"1", 0, 10, "daily measured outcome = true value + cv x norm-day value x N(0,1)", "assumption"});
    v.num("gaming_usd_per_hour", gaming_usd_per_hour,
          {"USD/h", 0, 1e6, "measured (not true) value per hour of performative activity on an outcome metric",
           "Bevan & Hood 2006 (96% reported vs 77% surveyed)"});
    v.num("ema_days", ema_days,
          {"day", 1, 1000, "time constant of the per-person averages used by the Goodhart diagnostics", "assumption"});
    v.num("kpi_reference_tokens", kpi_reference_tokens,
          {"token/day", 1, 1e15,
           "typical tokens per person and working day: turns tokens into KPI points (hybrids, diagnostics) and sets usage expectations and "
           "noise floors of quotas and leaderboards",
           "normalisation"});
    v.num("kpi_reference_sessions", kpi_reference_sessions,
          {"session/day", 1e-6, 1e15, "scale that turns AI sessions into KPI points in hybrids and diagnostics", "normalisation"});
    v.num("kpi_reference_usd", kpi_reference_usd,
          {"USD/day", 1, 1e15, "scale that turns measured value into KPI points in hybrids and diagnostics", "normalisation"});
  }
};

/// Managers: the pressure they choose and pass down, mandates, beliefs.
struct Managers {
  double pass_down_usd = 96.0;
  double belief_rate = 0.05;
  double dashboard_weight = 1.0;
  double assumed_usd_per_ktok = 0.5;
  double assumed_usd_per_session = 2.5;
  double mandate_belief_usd = 150.0;
  double mandate_belief_sd = 50.0;
  double pressure_response = 0.5;
  double pressure_cost_usd = 30.0;
  double max_pressure = 3.0;
  double attention_hours_per_week = 4.0;

  template <class V>
  void visit(V& v) {
    v.num("pressure_response", pressure_response,
          {"1", 0, 100,
           "the rise in her unit's usage, as a share of the usage target, that a manager expects from holding pressure 1 for a period",
           "assumption"});
    v.num("pressure_cost_usd", pressure_cost_usd,
          {"USD/day", 0, 1e9,
           "a manager's felt cost of holding pressure p is pressure_cost_usd x p^2 / 2 a working day (attention, her staff's goodwill)",
           "assumption"});
    v.num("max_pressure", max_pressure, {"1", 0, 1000, "the most pressure a manager can put on her unit", "assumption"});
    v.num("attention_hours_per_week", attention_hours_per_week,
          {"h/week", 0, 60,
           "hours a team manager can give each week to reviewing her people's audits (audit.reviewer_hours each); audits beyond "
           "them are not done",
           "assumption (a tenth of a 40-hour week)"});
    v.num("pass_down_usd", pass_down_usd,
          {"USD/day", 0, 1e9,
           "a manager without the KPI herself values her unit's usage, counted linearly up to the KPI's target, at pass_down_usd x "
           "the pressure her own manager holds, a working day (how she is judged from above), and chooses the pressure she passes "
           "on against managers.pressure_cost_usd (docs/model.md 7.1): with the default response and cost, up to 1.6 times the "
           "pressure she feels while her unit is far below the target, less as it nears the target, little once it is well past it",
           "assumption (keeps roughly the size of the leadership-KPI cases' effects under the former fixed trickle of 0.8 a "
           "level)"});
    v.num("belief_rate", belief_rate,
          {"1/day", 0, 1, "daily update of a manager's belief about AI value from what they observe", "assumption"});
    v.num("dashboard_weight", dashboard_weight,
          {"1", 0, 1,
           "under a KPI, the weight a manager gives her unit's dashboard against her people's reports: her belief about AI on each "
           "task type is what they report for it, shifted by dashboard_weight x (the dashboard's reading - the mean of their reports); "
           "1: the level from the dashboard, the differences between task types from her people; 0: the dashboard is ignored "
           "(docs/model.md 7.17)",
           "assumption (a manager judged on a dashboard takes its figure as the level; she has no other source on which task types "
           "AI helps than her people)"});
    v.num("mandate_belief_usd", mandate_belief_usd,
          {"USD/person/day", -1e9, 1e9,
           "a manager mandates AI for a task type when what she believes AI adds to a person-day of AI-assisted work on it, plus what "
           "the pressure she feels makes a person-day of visible AI use worth to her (pressure x behaviour.pressure_usd_per_hour x "
           "behaviour.norm_hours), exceeds this (-1e9: every task type, whatever she believes)",
           "assumption (inflated usage data misleads investment decisions)"});
    v.num("mandate_belief_sd", mandate_belief_sd,
          {"USD/person/day", 0, 1e9,
           "managers differ in how readily they mandate: each unit manager's threshold is mandate_belief_usd + mandate_belief_sd x "
           "N(0,1), drawn once, never below 0 (or below mandate_belief_usd when that is negative)",
           "assumption"});
    v.num("assumed_usd_per_session", assumed_usd_per_session,
          {"USD/session", 0, 1e6, "value per AI session that leadership reads into usage data (sessions KPIs)", "assumption"});
    v.num("assumed_usd_per_ktok", assumed_usd_per_ktok,
          {"USD/ktok", 0, 1e6, "value per thousand tokens that leadership reads into usage data", "assumption"});
  }
};

struct OutputOptions {
  bool per_unit = true;
  int snapshot_every = 0;
  int snapshot_sample = 100;

  template <class V>
  void visit(V& v) {
    v.flag("per_unit", per_unit, {"write per-division series (dimension `unit`)", ""});
    v.integer("snapshot_every", snapshot_every, {"day", 0, 100000, "write agent snapshots every k days (0: none)", ""});
    v.integer("snapshot_sample", snapshot_sample, {"person", 1, 1000000, "number of agents sampled for snapshots", ""});
  }
};

/// A whole scenario. `policies` are compared on the same organisation with common random numbers.
struct Scenario {
  std::string name = "unnamed";
  std::string description;
  std::uint64_t seed = 1;
  int days = 364;
  Organisation organisation;
  std::vector<TaskType> tasks;
  std::vector<Tool> tools;
  Workforce workforce;
  Behaviour behaviour;
  Arrivals arrivals;
  Learning learning;
  Wellbeing wellbeing;
  Attrition attrition;
  Measurement measurement;
  Managers managers;
  std::vector<PolicySpec> policies;
  OutputOptions output;
  /// Positions of the keys in the file this scenario was read from (null when not from a file).
  std::shared_ptr<const SourceMap> source;

  Scenario();  ///< fills the default task and tool catalogues and one division

  template <class V>
  void visit(V& v) {
    v.text("name", name, {"short name of the scenario", ""});
    v.text("description", description, {"free text", ""});
    v.integer("seed", seed, {"1", 0, 1.8e19, "master seed (common to all policies: common random numbers)", ""});
    v.integer("days", days, {"day", 1, 36500, "horizon in calendar days (day 0 is a Monday)", ""});
    v.section("organisation", organisation, {"size and shape of the organisation", ""});
    v.named("tasks", tasks, {"task catalogue (merged with the default catalogue)", "seed articles"}, params::Merge::with_defaults);
    v.named("tools", tools, {"AI tool catalogue (merged with the default catalogue)", ""}, params::Merge::with_defaults);
    v.section("workforce", workforce, {"initial traits of employees", ""});
    v.section("behaviour", behaviour, {"daily allocation of hours", ""});
    v.section("arrivals", arrivals, {"arriving work", ""});
    v.section("learning", learning, {"beliefs, proficiency and skill", ""});
    v.section("wellbeing", wellbeing, {"job demands-resources dynamics", ""});
    v.section("attrition", attrition, {"quitting and replacement", ""});
    v.section("measurement", measurement, {"the organisation's measurement system", ""});
    v.section("managers", managers, {"managers' pressure, mandates and beliefs", ""});
    v.named("policies", policies, {"KPI policies to compare, each `name: {type: ..., params}`", ""}, params::Merge::replace);
    v.section("output", output, {"what is written besides the daily series", ""});
  }
};

}  // namespace kpisim
