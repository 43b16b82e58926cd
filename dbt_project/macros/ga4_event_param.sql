{#- One typed value out of a GA4 export key/value list (event_params, user_properties).
    value_type: string | int | float | double. Dispatched because unnesting differs per warehouse. -#}
{% macro ga4_event_param(key, value_type='string', column='event_params') -%}
    {{ return(adapter.dispatch('ga4_event_param', 'mdp')(key, value_type, column)) }}
{%- endmacro %}

{% macro default__ga4_event_param(key, value_type, column) -%}
    (select param.value.{{ value_type }}_value from unnest({{ column }}) as param where param.key = '{{ key }}' limit 1)
{%- endmacro %}

{% macro duckdb__ga4_event_param(key, value_type, column) -%}
    list_extract(list_filter({{ column }}, lambda param: param.key = '{{ key }}'), 1).value.{{ value_type }}_value
{%- endmacro %}
