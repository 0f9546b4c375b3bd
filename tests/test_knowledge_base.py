"""Every knowledge file in the repository validates, and the taxonomy is complete."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core.knowledge.loader import KnowledgeBase, load_knowledge
from bot.settings import PROJECT_ROOT

TAXONOMY = yaml.safe_load(
    """
roles: [data-entry-clerk, administrative-assistant, bookkeeper, accountant, assembly-line-worker,
  warehouse-worker, paralegal, junior-financial-analyst, customer-service-representative, telemarketer,
  copywriter, journalist, graphic-designer, translator, content-creator, truck-driver, delivery-driver,
  taxi-rideshare-driver, software-developer, medical-transcriptionist, market-research-analyst, teacher,
  recruiter, retail-cashier, sales-representative, nurse, electrician, ai-trainer, prompt-engineer,
  ai-ethicist, ai-governance-specialist, ai-product-manager, machine-learning-engineer, data-scientist,
  data-analyst, ai-integration-specialist, human-ai-collaboration-designer, mlops-engineer,
  llm-application-engineer, ai-automation-specialist, ai-auditor]
skills: [critical-thinking, creativity, emotional-intelligence, adaptability, complex-communication,
  ethical-reasoning, data-literacy, ai-fluency, prompt-engineering, ai-output-evaluation,
  generative-media-tools, spreadsheet-analysis, python-programming, sql, statistics,
  machine-learning-fundamentals, deep-learning, natural-language-processing, data-labeling-annotation,
  data-cleaning, data-visualization, mlops, cloud-computing, llm-application-development,
  workflow-automation, ai-governance-regulation, bias-fairness-auditing, product-management,
  ux-design-for-ai, conversation-design, change-management, project-management]
guides: [task-vs-job-automation, ai-generated-media-and-asmr, human-ai-collaboration,
  continuous-learning-strategy, career-transition-playbook, advocating-ethical-ai, measuring-ai-exposure,
  building-a-portfolio]
"""
)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    # Loading validates schema, ids, cross-references, acyclic prerequisites, unique aliases.
    return load_knowledge(PROJECT_ROOT / "knowledge")


@pytest.mark.parametrize("kind", ["roles", "skills", "guides"])
def test_every_taxonomy_id_exists(kb: KnowledgeBase, kind: str) -> None:
    doc_type = kind[:-1]
    missing = [i for i in TAXONOMY[kind] if i not in kb.documents or kb.documents[i].type != doc_type]
    assert missing == []


def test_minimum_sizes(kb: KnowledgeBase) -> None:
    counts = kb.counts()
    assert counts["role"] >= 41 and counts["skill"] >= 32 and counts["guide"] >= 8


def test_skills_have_two_resources_hours_and_practice(kb: KnowledgeBase) -> None:
    for skill_id, skill in kb.skills.items():
        assert len(skill.resources) >= 2, skill_id
        assert any(r.free for r in skill.resources), f"{skill_id} has no free resource"
        assert skill.hours > 0


def test_roles_have_aliases_skills_and_sources(kb: KnowledgeBase) -> None:
    for role_id, role in kb.roles.items():
        assert role.aliases, role_id
        assert len(role.skills) >= 3, role_id
        assert role.transitions, role_id
        if role.category != "emerging":
            assert role.exposure is not None, f"{role_id}: no exposure figures"
        if role.exposure is not None:
            assert role.exposure.onet_code in role.onet_codes, role_id
            assert any("science.org" in s.url or "arxiv.org" in s.url for s in role.sources), role_id


def test_aliases_are_unique_across_roles(kb: KnowledgeBase) -> None:
    owners: dict[str, str] = {}
    for role_id, role in kb.roles.items():
        for alias in role.aliases:
            assert owners.setdefault(alias, role_id) == role_id, f"{alias!r}: {owners[alias]} and {role_id}"


def test_exposure_figures_match_the_source_data(kb: KnowledgeBase) -> None:
    """Where the Eloundou et al. data sits beside the repository, the figures must match it."""
    data = PROJECT_ROOT.parent / "shared" / "data" / "gpts-are-gpts" / "occ_level.csv"
    if not data.is_file():
        pytest.skip("the GPTs-are-GPTs data is not beside the repository")
    import csv

    with data.open(encoding="utf-8") as handle:
        rows = {row["O*NET-SOC Code"]: row for row in csv.DictReader(handle)}
    for role_id, role in kb.roles.items():
        if role.exposure is None:
            continue
        row = rows[role.exposure.onet_code]
        assert abs(float(row["dv_rating_beta"]) - role.exposure.gpt4_beta) < 0.006, role_id
        assert abs(float(row["human_rating_beta"]) - role.exposure.human_beta) < 0.006, role_id


def test_knowledge_paths_are_relative(kb: KnowledgeBase) -> None:
    assert all(not Path(d.path).is_absolute() for d in kb.documents.values())
