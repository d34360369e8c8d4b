import { startAuthentication, startRegistration, type AuthenticationResponseJSON, type PublicKeyCredentialCreationOptionsJSON, type PublicKeyCredentialRequestOptionsJSON, type RegistrationResponseJSON } from '@simplewebauthn/browser';

/** The browser's own "cancelled or timed out" answer, said in words a person understands. */
function explain(err: unknown): never {
  if (err instanceof Error && (err.name === 'NotAllowedError' || err.name === 'AbortError')) {
    throw new Error('The passkey request was cancelled or timed out. Try again, or choose another method.');
  }
  if (err instanceof Error && err.name === 'InvalidStateError') throw new Error('This passkey is already registered on your account.');
  throw err;
}

/** Asks the browser for a passkey assertion for the server's request options. */
export async function signWithPasskey(options: PublicKeyCredentialRequestOptionsJSON): Promise<AuthenticationResponseJSON> {
  try {
    return await startAuthentication({ optionsJSON: options });
  } catch (err) {
    explain(err);
  }
}

/** Asks the browser to create a passkey for the server's creation options. */
export async function createPasskey(options: PublicKeyCredentialCreationOptionsJSON): Promise<RegistrationResponseJSON> {
  try {
    return await startRegistration({ optionsJSON: options });
  } catch (err) {
    explain(err);
  }
}
