"""Runtime wiring: the local Airflow environment, DAG defaults and running DAGs through Airflow."""
