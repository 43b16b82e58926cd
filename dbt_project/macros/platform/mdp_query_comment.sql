{#- The comment dbt puts on every query: JSON, so on BigQuery (query-comment job-label) it
    becomes the job's labels - the platform's MDP_BIGQUERY__JOB_LABELS plus the dbt node. -#}
{% macro mdp_query_comment(node) -%}
    {%- set labels = fromjson(env_var('MDP_BIGQUERY__JOB_LABELS', '{"app": "mdp"}')) -%}
    {%- do labels.update({'dbt_target': target.name}) -%}
    {%- if node is not none -%}
        {%- do labels.update({'dbt_node': node.unique_id}) -%}
    {%- endif -%}
    {{- tojson(labels) -}}
{%- endmacro %}
