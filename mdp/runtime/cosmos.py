"""The dbt project as an Airflow task group (astronomer-cosmos), configured from mdp settings."""

from __future__ import annotations

from typing import Any

from cosmos import (
    DbtTaskGroup,
    ExecutionConfig,
    InvocationMode,
    LoadMode,
    ProfileConfig,
    ProjectConfig,
    RenderConfig,
    TestBehavior,
)

from mdp.runtime.dbt import DBT_PROJECT_DIR, MANIFEST_PATH, dbt_env
from mdp.settings import get_settings


def dbt_build_group(group_id: str = "dbt", select: list[str] | None = None) -> Any:
    """One task per dbt model with its tests after it; the profile comes from dbt_project/."""
    settings = get_settings()
    return DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            dbt_project_path=DBT_PROJECT_DIR,
            manifest_path=MANIFEST_PATH if MANIFEST_PATH.exists() else None,
            env_vars=dbt_env(settings),
        ),
        profile_config=ProfileConfig(
            profile_name="mdp",
            target_name=settings.effective_dbt_target,
            profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",
        ),
        # dbt runs in-process (dbtRunner) from the locked environment, no subprocess per model.
        execution_config=ExecutionConfig(invocation_mode=InvocationMode.DBT_RUNNER),
        render_config=RenderConfig(
            load_method=LoadMode.AUTOMATIC,
            test_behavior=TestBehavior.AFTER_EACH,
            select=select or [],
            emit_datasets=False,
            # Tests over several models (reconciliations) run once all their parents are built.
            should_detach_multiple_parents_tests=True,
        ),
        operator_args={"install_deps": False},
    )
