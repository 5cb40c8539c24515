// The vault's public surface: everything outside app/vault/ imports from here and never touches a cipher.
export { VaultError, isVaultError, type VaultErrorCode } from './errors';
export { createOrganizationDataKey, type Db } from './keyring.server';
export { LocalKeyWrapper, getKeyWrapper, setKeyWrapper, type KeyWrapper, type WrappedKey } from './key-wrapper.server';
export {
  openSecret,
  sealSecret,
  type SealedSecret,
  type SecretLocation,
} from './seal.server';
export { readCredentialSecret, writeCredentialSecrets } from './secrets.server';
export {
  reencryptOrganizationSecrets,
  rotateMasterKey,
  rotateOrganizationKey,
  secretVersionUsage,
  type MasterRotationReport,
  type ReencryptReport,
} from './rotation.server';
