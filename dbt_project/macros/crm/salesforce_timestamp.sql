{#- A Salesforce datetime as a UTC timestamp without time zone, like GA4's event_at.
    DuckDB loads Salesforce datetimes as TIMESTAMPTZ, whose cast to TIMESTAMP would follow the
    session time zone; BigQuery's TIMESTAMP is already UTC. -#}
{% macro salesforce_timestamp(column) -%}
    {{ return(adapter.dispatch('salesforce_timestamp', 'mdp')(column)) }}
{%- endmacro %}

{% macro default__salesforce_timestamp(column) -%}
    cast({{ column }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro duckdb__salesforce_timestamp(column) -%}
    timezone('UTC', {{ column }})
{%- endmacro %}
