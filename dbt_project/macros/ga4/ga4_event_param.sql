{#- One typed value out of a GA4 export key/value list (event_params, user_properties).
    value_type: string | int | float | double, or number (double_value, else float_value, else
    int_value: GA4 stores `value` in whichever field the tag sent). Dispatched because unnesting
    differs per warehouse. -#}
{% macro ga4_event_param(key, value_type='string', column='event_params') -%}
    {{ return(adapter.dispatch('ga4_event_param', 'mdp')(key, value_type, column)) }}
{%- endmacro %}

{%- macro _ga4_param_value(param, value_type, double_type) -%}
    {%- if value_type == 'number' -%}
        coalesce({{ param }}.value.double_value, {{ param }}.value.float_value, cast({{ param }}.value.int_value as {{ double_type }}))
    {%- else -%}
        {{ param }}.value.{{ value_type }}_value
    {%- endif -%}
{%- endmacro %}

{% macro default__ga4_event_param(key, value_type, column) -%}
    (select {{ _ga4_param_value('param', value_type, 'float64') }} from unnest({{ column }}) as param where param.key = '{{ key }}' limit 1)
{%- endmacro %}

{% macro duckdb__ga4_event_param(key, value_type, column) -%}
    list_extract(list_transform(list_filter({{ column }}, lambda param: param.key = '{{ key }}'), lambda param: {{ _ga4_param_value('param', value_type, 'double') }}), 1)
{%- endmacro %}
