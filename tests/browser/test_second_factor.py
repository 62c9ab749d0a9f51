from django_otp.oath import TOTP

from welfare.models import SecondFactorEnrolment


def test_hq_adds_the_issued_authenticator_app_by_its_qr_code(
    sign_in, hq, administrator, settings, screenshot
):
    settings.OTP_REQUIRED_ROLES = ["HQ", "administrator"]
    enrolment = SecondFactorEnrolment.objects.issue(hq, by=administrator)
    page = sign_in(hq)
    qr_code = page.get_by_role("img", name="QR code of the key")
    assert qr_code.evaluate("image => image.naturalWidth") > 0  # drawn, not blocked by the CSP
    screenshot("second-factor-enrolment")
    device = enrolment.device
    code = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    page.get_by_label("Code from your authenticator app").fill(str(code).zfill(6))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()
    assert "Your authenticator app is set up." in page.content()
