"""The second factor asked of HQ users and administrators after their password:
a time-based code (TOTP) from an authenticator app. An app is added only through
an enrolment issued to the user (SecondFactorEnrolment): by an administrator, or
by the user's current app when they replace it. Whoever has only the password is
shown no key."""

from base64 import b32encode, b64encode

import qrcode
from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from qrcode.image.svg import SvgPathImage

from welfare.models import SecondFactorEnrolment

WRONG_CODE = _("This code is not right. Codes change every 30 seconds.")


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
