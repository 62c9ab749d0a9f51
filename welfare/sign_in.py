"""Sign-in: the lockout after repeated failures (django-axes), and the second
factor asked of HQ users and administrators after their password: a time-based
code (TOTP) from an authenticator app, set up on first sign-in."""

from base64 import b32encode

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice


class LockoutHandler(AxesDatabaseHandler):
    """django-axes locks a user name from one address (AXES_LOCKOUT_PARAMETERS):
    a colleague behind the same office NAT who mistypes someone's name cannot
    lock them out anywhere else. This also locks an address alone after
    SIGN_IN_ADDRESS_FAILURE_LIMIT failures for any user names, known or not
    (password spraying). Either lockout shows the same page, whether or not the
    user exists."""

    def get_failures(self, request, credentials=None):
        """Axes compares this with AXES_FAILURE_LIMIT. The address's failures are
        scaled to that unit, rounding down, so that they reach it exactly at
        SIGN_IN_ADDRESS_FAILURE_LIMIT (with 5 and 50: 49 * 5 // 50 = 4, 50 * 5 // 50 = 5)."""
        name_and_address = super().get_failures(request, credentials)
        attempts = AccessAttempt.objects.filter(
            ip_address=request.axes_ip_address,
            attempt_time__gte=get_cool_off_threshold(request),
        )
        address = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
        scaled = address * settings.AXES_FAILURE_LIMIT // settings.SIGN_IN_ADDRESS_FAILURE_LIMIT
        return max(name_and_address, scaled)


USER_NAME_LENGTH = AccessAttempt._meta.get_field("username").max_length


def attempted_user_name(request, credentials):
    """AXES_USERNAME_CALLABLE: the user name typed, cut to the length axes keeps.
    No user has a longer name, but recording it whole would fail the insert, and
    the sign-in page answer 503 as if the database were down."""
    if credentials:
        name = credentials.get("username")
    else:
        name = getattr(request, "data", request.POST).get("username")
    return name[:USER_NAME_LENGTH] if name else name


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def second_factor(request):
    """Asks for the code; the first time, shows the secret to add to the app and
    confirms the new device with a first code."""
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = ""
    user = request.user
    if user.is_verified():
        return redirect(next_url or "home")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    setting_up = device is None
    if setting_up:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        device = device or TOTPDevice.objects.create(
            user=user, name="Authenticator app", confirmed=False
        )
    form = CodeForm(request.POST or None)
    if form.is_valid():
        if device.verify_token(form.cleaned_data["code"].replace(" ", "")):
            if setting_up:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect(next_url or "home")
        form.add_error("code", _("This code is not right. Codes change every 30 seconds."))
    context = {"form": form, "next": next_url, "setting_up": setting_up}
    if setting_up:
        context["secret"] = b32encode(device.bin_key).decode()
        context["otpauth_uri"] = device.config_url
    return render(request, "registration/second_factor.html", context)
