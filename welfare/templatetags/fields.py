"""A form field as Bootstrap shows it, written in Python: the same label, widget,
help text and errors as crispy-forms' bootstrap5 templates, for the forms of the
busiest pages (a list's filters, the case page's visit form), where crispy's
dozen templates per field and Django's template per <option> cost more than the
page's queries (docs/performance-notes.md)."""

from django import forms, template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from welfare.forms import SearchInput

register = template.Library()


def attrs_html(attrs):
    """HTML attributes as Django's attrs.html writes them, in their order."""
    return mark_safe(
        "".join(
            format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
            for name, value in attrs.items()
            if value is not False
        )
    )


def select_html(widget, name, value, attrs):
    """A <select> with its options written here, not one template each."""
    context = widget.get_context(name, value, attrs)["widget"]
    groups = []
    for group_name, options, _index in context["optgroups"]:
        rendered = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                ("" if o["value"] is None else o["value"], attrs_html(o["attrs"]), o["label"])
                for o in options
            ),
        )
        if group_name:
            rendered = format_html('<optgroup label="{}">{}</optgroup>', group_name, rendered)
        groups.append(rendered)
    return format_html(
        '<select name="{}"{}>{}</select>',
        context["name"],
        attrs_html(context["attrs"]),
        mark_safe("".join(groups)),
    )


def input_html(widget, name, value, attrs):
    """An <input> as Django's input.html writes it."""
    context = widget.get_context(name, value, attrs)["widget"]
    shown = "" if context["value"] is None else format_html(' value="{}"', context["value"])
    return format_html(
        '<input type="{}" name="{}"{}{}>',
        context["type"],
        context["name"],
        shown,
        attrs_html(context["attrs"]),
    )


# Django's own templates of one <input>, which input_html() writes the same.
INPUT_TEMPLATES = {
    f"django/forms/widgets/{name}.html"
    for name in ("text", "number", "email", "url", "search", "tel", "date", "datetime", "time")
}


def widget_html(field, css):
    """The widget as BoundField.as_widget() renders it, without its templates for
    drop-downs (not a multiple choice) and plain inputs."""
    widget = field.field.widget
    if widget.template_name in INPUT_TEMPLATES:
        draw = input_html
    elif widget.template_name == forms.Select.template_name and not widget.allow_multiple_selected:
        draw = select_html
    else:
        return field.as_widget(attrs={"class": css})
    attrs = field.build_widget_attrs({"class": css})
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    html = draw(widget, field.html_name, field.value(), attrs)
    if isinstance(widget, SearchInput):
        html += widget.datalist(field.html_name, attrs)
    return html


@register.filter
def label_in(value, labels):
    """{{ case.status|label_in:statuses }}: a choice's label from a dict made once
    for the page (welfare.exports.labels), where get_status_display() would
    translate every label of the field again for each row."""
    return labels.get(value, value)


@register.simple_tag
def plain_field(field):
    """{% plain_field field %}: the field's group (label, widget, help, errors)."""
    if field.is_hidden:
        return str(field)
    widget = field.field.widget
    invalid = " is-invalid" if field.errors else ""
    required = " requiredField" if field.field.required else ""
    star = mark_safe('<span class="asteriskField">*</span>') if field.field.required else ""
    helptext = ""
    if field.help_text:
        helptext = format_html(
            '<div id="{}_helptext" class="form-text">{}</div>', field.auto_id, field.help_text
        )
    errors = format_html_join(
        "",
        '<div id="error_{}_{}" class="invalid-feedback d-block"><strong>{}</strong></div>',
        ((number, field.auto_id, error) for number, error in enumerate(field.errors, 1)),
    )
    if errors:
        # The id that Django's widget names in aria-describedby, so that a screen
        # reader reads the errors with the field.
        errors = format_html('<div id="{}_error">{}</div>', field.auto_id, errors)
    if isinstance(widget, (forms.CheckboxSelectMultiple, forms.RadioSelect)):
        options = format_html_join(
            "",
            '<div class="form-check"><input type="{}" class="form-check-input{}" name="{}" '
            'value="{}" id="{}"{}><label for="{}" class="form-check-label">{}</label></div>',
            (
                (
                    option.data["type"],
                    invalid,
                    option.data["name"],
                    option.data["value"],
                    option.id_for_label,
                    " checked" if option.data["selected"] else "",
                    option.id_for_label,
                    option.choice_label,
                )
                for option in field.subwidgets
            ),
        )
        return format_html(
            '<fieldset id="div_{}" class="mb-3"><legend class="form-label fs-6{}">{}{}</legend>'
            "{}{}{}</fieldset>",
            field.auto_id,
            required,
            field.label,
            star,
            options,
            errors,
            helptext,
        )
    if isinstance(widget, forms.CheckboxInput):
        return format_html(
            '<div id="div_{}" class="mb-3 form-check">{}'
            '<label for="{}" class="form-check-label">{}</label>{}{}</div>',
            field.auto_id,
            field.as_widget(attrs={"class": f"form-check-input{invalid}"}),
            field.id_for_label,
            field.label,
            errors,
            helptext,
        )
    css = "form-select" if isinstance(widget, forms.Select) else "form-control"
    return format_html(
        '<div id="div_{}" class="mb-3"><label for="{}" class="form-label{}">{}{}</label>'
        "{}{}{}</div>",
        field.auto_id,
        field.id_for_label,
        required,
        field.label,
        star,
        widget_html(field, css + invalid),
        errors,
        helptext,
    )


@register.simple_tag
def plain_fields(form):
    """{% plain_fields form %}: the form's errors and every field, in order."""
    errors = format_html_join(
        "", '<div class="alert alert-danger">{}</div>', ((e,) for e in form.non_field_errors())
    )
    return mark_safe(errors + "".join(plain_field(field) for field in form))
