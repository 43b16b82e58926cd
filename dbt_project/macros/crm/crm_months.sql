{#- Month arithmetic on dates that stays a DATE on every warehouse (dbt.date_trunc and
    dbt.dateadd return timestamps or datetimes on some adapters). -#}

{#- The first day of the month of a date or timestamp. -#}
{% macro crm_month_start(expression) -%}
    cast({{ dbt.date_trunc('month', expression) }} as date)
{%- endmacro %}

{#- A date moved by a number of months (an integer or an integer expression). -#}
{% macro crm_add_months(expression, months) -%}
    cast({{ dbt.dateadd('month', months, expression) }} as date)
{%- endmacro %}

{#- The first day of the first month that starts on or after a date: the first month a
    subscription segment starting that day counts for (MRR is measured on the 1st). -#}
{% macro crm_first_full_month(expression) -%}
    case
        when {{ expression }} = {{ crm_month_start(expression) }} then {{ expression }}
        else {{ crm_add_months(crm_month_start(expression), 1) }}
    end
{%- endmacro %}
