{#- Models land in the schema named by their folder (staging, marts ...), not target_schema_custom.
    On BigQuery an optional dataset prefix keeps several deployments apart in one project. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ env_var('MDP_BIGQUERY__DATASET_PREFIX', '') if target.type == 'bigquery' else '' }}{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
