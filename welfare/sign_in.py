"""Sign-in: the lockout after repeated failures (django-axes), and the second
factor asked of HQ users and administrators after their password: a time-based
code (TOTP) from an authenticator app. An app is added only through an
enrolment issued to the user (SecondFactorEnrolment): by an administrator, or
by the user's current app when they replace it. Whoever has only the password is
shown no key."""

from base64 import b32encode, b64encode

import qrcode
from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib import messages
from django.db.models import Sum
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from qrcode.image.svg import SvgPathImage

from welfare.models import SecondFactorEnrolment

WRONG_CODE = _("This code is not right. Codes change every 30 seconds.")


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

    def clean_code(self):
        return self.cleaned_data["code"].replace(" ", "")


def qr_code(text):
    """The QR code of `text` as a data: URI of an SVG image, drawn here so that
    the key never leaves the server for an image service."""
    image = qrcode.make(text, image_factory=SvgPathImage)
    return "data:image/svg+xml;base64," + b64encode(image.to_string()).decode()


def second_factor(request):
    """Asks for a code from the user's confirmed app. With an enrolment issued to
    this user, shows the new app's key the first time the page opens (never again)
    and confirms the new app with its first code. Without either, shows no key and
    no form: an administrator must issue an enrolment."""
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = ""
    user = request.user
    pending = SecondFactorEnrolment.objects.pending(now=timezone.now())
    enrolment = pending.filter(user=user).select_related("device__user").first()
    if user.is_verified() and enrolment is None:
        return redirect(next_url or "home")
    device = None
    if not user.is_verified():
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    form = CodeForm(request.POST or None) if enrolment or device else None
    if form is not None and form.is_valid():
        code = form.cleaned_data["code"]
        if enrolment and enrolment.confirm(code):
            otp_login(request, enrolment.device)
            messages.success(request, _("Your authenticator app is set up."))
            return redirect(next_url or "home")
        # Until the new app is confirmed, the current one still signs in.
        if device and device.verify_token(code):
            otp_login(request, device)
            return redirect(next_url or "home")
        form.add_error("code", WRONG_CODE)
    context = {"form": form, "next": next_url, "enrolment": enrolment, "device": device}
    if enrolment and enrolment.reveal():
        context["secret"] = b32encode(enrolment.device.bin_key).decode()
        context["otpauth_uri"] = enrolment.device.config_url
        context["qr_code"] = qr_code(context["otpauth_uri"])
    return render(request, "registration/second_factor.html", context)


def second_factor_replace(request):
    """A user signed in with their app starts an enrolment for a new one (a new
    phone); a fresh code from the current app shows that the app, not only the
    session, is at hand."""
    device = request.user.otp_device if request.user.is_verified() else None
    form = CodeForm(request.POST or None) if device else None
    if form is not None and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            SecondFactorEnrolment.objects.issue(request.user, by=request.user)
            return redirect("second-factor")
        form.add_error("code", WRONG_CODE)
    return render(request, "registration/second_factor_replace.html", {"form": form})
