"""infra/helm/values.yaml: KubernetesExecutor, Secret Manager backend, one identity per stage."""

from __future__ import annotations

import ast
from types import SimpleNamespace

import yaml

from mdp import PROJECT_ROOT
from tests.infra.conftest import Terraform

VALUES = yaml.safe_load((PROJECT_ROOT / "infra" / "helm" / "values.yaml").read_text())


def dag_ids() -> set[str]:
    """The dag_id of every DAG file: the @dag function's name unless dag_id= is given."""
    ids = set()
    for path in (PROJECT_ROOT / "dags").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                call = decorator if isinstance(decorator, ast.Call) else None
                name = getattr(call.func if call else decorator, "id", None)
                if name != "dag":
                    continue
                given = [k.value for k in (call.keywords if call else []) if k.arg == "dag_id"]
                ids.add(given[0].value if given else node.name)  # type: ignore[attr-defined]
    return ids


def mutate(dag_id: str) -> str | None:
    """Run the chart's pod_mutation_hook on a pod labelled like a KubernetesExecutor pod."""
    namespace: dict[str, object] = {}
    exec(VALUES["airflowLocalSettings"], namespace)
    pod = SimpleNamespace(
        metadata=SimpleNamespace(labels={"dag_id": dag_id, "task_id": "t"}),
        spec=SimpleNamespace(service_account_name=None),
    )
    namespace["pod_mutation_hook"](pod)  # type: ignore[operator]
    return pod.spec.service_account_name


def test_kubernetes_executor_with_dags_from_the_image() -> None:
    assert VALUES["executor"] == "KubernetesExecutor"
    assert VALUES["dags"]["gitSync"]["enabled"] is False
    assert VALUES["dags"]["persistence"]["enabled"] is False
    assert VALUES["config"]["core"]["dags_folder"] == "/opt/mdp/dags"
    assert VALUES["airflowVersion"].startswith("3.3")


def test_connections_come_from_secret_manager_under_the_terraform_names(
    terraform: Terraform,
) -> None:
    secrets = VALUES["config"]["secrets"]
    assert secrets["backend"].endswith("secret_manager.CloudSecretManagerBackend")
    kwargs = yaml.safe_load(secrets["backend_kwargs"])
    secret = terraform.resources("google_secret_manager_secret")["connection"]
    assert secret["secret_id"] == f"{kwargs['connections_prefix']}{kwargs['sep']}${{each.value}}"


def test_every_dag_runs_as_its_stage_account(terraform: Terraform) -> None:
    ids = dag_ids()
    assert len(ids) >= 10
    stages = set(terraform.locals["stages"])
    accounts = {dag_id: mutate(dag_id) for dag_id in ids}
    assert {account for account in accounts.values()} <= {f"mdp-{s}" for s in stages}
    assert accounts["transform"] == "mdp-dbt"
    assert all(accounts[d] == "mdp-ingestion" for d in ids if d.startswith("ingest_"))
    assert all(accounts[d] == "mdp-ml" for d in ids if d.startswith("ml_"))
    assert accounts["crm_sync"] == "mdp-activation"
    # an unknown DAG keeps the worker account, which terraform grants nothing
    assert mutate("not_a_dag") is None
    binding = terraform.resources("google_service_account_iam_member")["workload_identity"]
    assert binding["member"].endswith("/mdp-${each.key}]")


def test_worker_env_matches_the_terraform_environment() -> None:
    env = {item["name"]: item["value"] for item in VALUES["env"]}
    assert env["MDP_WAREHOUSE"] == "bigquery" and env["MDP_SANDBOX"] == "false"
    assert {"MDP_BIGQUERY__PROJECT", "MDP_BIGQUERY__LOCATION"} <= set(env)
    composer = (PROJECT_ROOT / "infra" / "terraform" / "composer.tf").read_text()
    assert all(name in composer for name in env)
