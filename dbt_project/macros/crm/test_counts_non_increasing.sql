{#- Fails for every row where a count is larger than the count before it in `columns`
    (a funnel: each stage holds at most the units of the stage before). -#}
{% test counts_non_increasing(model, columns) %}
    select *
    from {{ model }}
    where
        {%- for column in columns[1:] %}
        {{ column }} > {{ columns[loop.index0] }}{% if not loop.last %} or{% endif %}
        {%- endfor %}
{% endtest %}
